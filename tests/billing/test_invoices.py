"""The monthly run, VAT, rounding and numbering of postpaid invoices, and issued invoices
that never change (the model refuses, and so does PostgreSQL)."""

from __future__ import annotations

import datetime
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction

from billing.actions.invoicing import run_period, seats_line
from billing.actions.issuing import issue_invoice
from billing.actions.tax import RateTable, tax_for
from billing.models import (
    BillingAccount,
    BillingSettings,
    Immutable,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    TaxTreatment,
    money,
)
from core.actors import SYSTEM
from customers.actions.lifecycle import purge_deleted_organisations
from customers.models import CustomerService, Organisation
from tests.factories import OrganisationFactory
from tests.fixtures.catalogue import subscribe
from tests.fixtures.invoices import (
    PERIOD,
    billed_customer,
    draft_invoice,
    issued_invoice,
    postpaid,
    priced_vpn,
    usage,
    vat_rates,
)
from tests.fixtures.racing import race

pytestmark = pytest.mark.django_db

NOV_30 = datetime.date(2026, 11, 30)
DEC_1 = datetime.date(2026, 12, 1)
REVERSE = "Reverse charge"
OSS_FR = "VAT of FR at 20.00 %: a consumer in another EU member state"


@pytest.mark.parametrize(
    ("country", "vat_number", "exempt", "treatment", "rate", "note"),
    [
        ("DE", "", False, TaxTreatment.DOMESTIC, "19.00", ""),
        ("FR", "FR40303265045", False, TaxTreatment.REVERSE_CHARGE, "0", REVERSE),
        # A consumer in another member state (no number, or a bad one) pays its own country's
        # rate, through the One-Stop Shop.
        ("FR", "FR40303265046", False, TaxTreatment.ONE_STOP_SHOP, "20.00", OSS_FR),
        ("FR", "", False, TaxTreatment.ONE_STOP_SHOP, "20.00", OSS_FR),
        ("AT", "", False, TaxTreatment.ONE_STOP_SHOP, "20.00", "VAT of AT at 20.00 %"),
        ("at", "", False, TaxTreatment.ONE_STOP_SHOP, "20.00", "One-Stop Shop"),
        ("AT", "ATU13585627", False, TaxTreatment.REVERSE_CHARGE, "0", REVERSE),
        ("US", "", False, TaxTreatment.OUTSIDE_SCOPE, "0", "Outside the scope"),
        ("CH", "CHE-123.456.788", False, TaxTreatment.OUTSIDE_SCOPE, "0", "Outside the scope"),
        ("DE", "", True, TaxTreatment.EXEMPT, "0", "Exempt from VAT: charity"),
    ],
)
def test_the_tax_of_a_customer(country, vat_number, exempt, treatment, rate, note):
    vat_rates()
    account = BillingAccount(
        tax_country=country,
        vat_number=vat_number,
        tax_exempt=exempt,
        tax_exemption_reason="charity",
    )
    tax = tax_for(account, "DE", NOV_30, RateTable())
    assert (tax.treatment, tax.rate) == (treatment, Decimal(rate))
    assert note in tax.note


def test_a_missing_rate_is_a_plain_error_not_a_zero_rate():
    with pytest.raises(ValidationError, match="no VAT rate for DE"):
        tax_for(BillingAccount(tax_country="DE"), "DE", NOV_30, RateTable())


def test_an_eu_consumer_whose_country_has_no_rate_is_an_error_not_the_issuers_rate():
    vat_rates()  # DE, FR and AT only
    with pytest.raises(ValidationError, match="no VAT rate for NL"):
        tax_for(BillingAccount(tax_country="NL"), "DE", NOV_30, RateTable())


def test_an_eu_consumer_without_a_rate_gets_no_draft_and_the_run_says_why(cast):
    billed_customer(cast)
    BillingAccount.objects.filter(organisation=cast.customer).update(tax_country="NL")
    run = run_period(PERIOD, actor=SYSTEM)
    assert run.drafted == 0
    assert "no VAT rate for NL" in run.failed[cast.customer.pk]
    assert not Invoice.objects.exists()


def test_an_eu_consumers_invoice_is_taxed_at_its_countrys_rate_with_the_note(cast):
    billed_customer(cast, seats=10)
    BillingAccount.objects.filter(organisation=cast.customer).update(tax_country="FR")
    run_period(PERIOD, actor=SYSTEM)
    invoice = issue_invoice(actor=SYSTEM, invoice=Invoice.objects.get(), today=DEC_1)
    assert (invoice.tax_treatment, invoice.tax, invoice.total) == (
        TaxTreatment.ONE_STOP_SHOP,
        Decimal("20.00"),
        Decimal("120.00"),
    )
    assert OSS_FR in invoice.tax_note
    text = subprocess.run(
        ["pdftotext", invoice.pdf.path, "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "One-Stop" in text


def test_a_draft_whose_vat_changed_since_the_run_is_not_issued(cast):
    draft = draft_invoice(cast)  # a German customer: 19 %
    account = BillingAccount.objects.filter(organisation=cast.customer)
    account.update(tax_country="FR")
    with pytest.raises(ValidationError, match="run the period again"):
        issue_invoice(actor=SYSTEM, invoice=draft, today=DEC_1)
    account.update(tax_country="NL")  # no rate at all
    with pytest.raises(ValidationError, match="no VAT rate for NL"):
        issue_invoice(actor=SYSTEM, invoice=draft, today=DEC_1)
    assert Invoice.objects.get(pk=draft.pk).is_draft


@pytest.mark.parametrize(
    ("seat_days", "price", "days", "net"),
    [
        (300, "10.00", 30, "100.00"),  # 10 seats all month
        (150, "10.00", 30, "50.00"),  # from the 16th
        (1, "10.00", 30, "0.33"),  # 0.333...
        (15, "0.25", 30, "0.13"),  # 0.125: half-up, not to even
        (1, "0.05", 2, "0.03"),  # 0.025
        (31, "9.99", 31, "9.99"),
    ],
)
def test_seats_are_prorated_by_seat_days_and_rounded_half_up(seat_days, price, days, net):
    line = seats_line("VPN Standard", seat_days, Decimal(price), days, None)
    assert line.net == Decimal(net)


def test_money_rounds_half_up():
    assert [money(Decimal(v)) for v in ("0.005", "0.015", "2.675", "-0.005")] == [
        Decimal("0.01"),
        Decimal("0.02"),
        Decimal("2.68"),
        Decimal("-0.01"),
    ]


def test_a_run_drafts_one_invoice_with_a_line_per_subscription_and_vat_per_line(cast):
    billed_customer(cast, seats=10)
    run = run_period(PERIOD, actor=SYSTEM)
    assert run.drafted == 1 and not run.failed
    invoice = Invoice.objects.get(customer=cast.customer, period_start=PERIOD)
    assert (invoice.issuer, invoice.status, invoice.number) == (cast.reseller, "draft", "")
    [line] = invoice.lines.all()
    assert (line.kind, line.quantity, line.net, line.vat_rate, line.vat) == (
        LineKind.SEATS,
        Decimal("10.0000"),
        Decimal("100.00"),
        Decimal("19.00"),
        Decimal("19.00"),
    )
    assert (invoice.subtotal, invoice.tax, invoice.total) == (
        Decimal("100.00"),
        Decimal("19.00"),
        Decimal("119.00"),
    )


def test_proration_across_a_mid_month_start_and_a_mid_month_suspension(cast):
    postpaid(cast.customer)
    subscription = subscribe(cast.customer, plan=priced_vpn("30.00"))
    # Started on the 11th with 3 seats; suspended from the 21st: 10 billed days.
    usage(subscription, 3, datetime.date(2026, 11, 11), datetime.date(2026, 11, 20))
    usage(subscription, 3, datetime.date(2026, 11, 21), NOV_30, status="suspended")
    run_period(PERIOD, actor=SYSTEM)
    line = InvoiceLine.objects.get(invoice__customer=cast.customer, kind=LineKind.SEATS)
    assert (line.quantity, line.net) == (Decimal("1.0000"), Decimal("30.00"))
    assert "30 seat-days" in line.description


def test_setup_fees_come_once_in_the_first_period(cast):
    postpaid(cast.customer)
    subscription = subscribe(cast.customer, plan=priced_vpn("10.00", setup="49.90"))
    CustomerService.objects.filter(pk=subscription.pk).update(
        created=datetime.datetime(2026, 11, 11, 12, tzinfo=datetime.UTC)
    )
    usage(subscription, 1, datetime.date(2026, 11, 11), NOV_30)
    usage(subscription, 1, datetime.date(2026, 12, 1), datetime.date(2026, 12, 31))
    run_period(PERIOD, actor=SYSTEM)
    run_period(DEC_1, actor=SYSTEM)
    november = Invoice.objects.get(customer=cast.customer, period_start=PERIOD)
    december = Invoice.objects.get(customer=cast.customer, period_start=DEC_1)
    assert list(november.lines.values_list("kind", "net")) == [
        ("seats", Decimal("6.67")),
        ("setup", Decimal("49.90")),
    ]
    assert list(december.lines.values_list("kind", "net")) == [("seats", Decimal("10.00"))]
    assert november.total == money(Decimal("56.57") * Decimal("1.19")) or november.total == (
        november.subtotal + november.tax
    )
    assert november.tax == Decimal("1.27") + Decimal("9.48")  # per line, half-up


def test_customers_with_inactive_billing_and_prepaid_customers_are_skipped(cast):
    billed_customer(cast)
    cast.customer.inactive_billing = True
    cast.customer.save()
    prepaid = OrganisationFactory(parent=cast.reseller, code="PREP")
    subscribe(prepaid)
    assert run_period(PERIOD, actor=SYSTEM).drafted == 0
    assert not Invoice.objects.exists()


def test_running_a_period_twice_creates_nothing_new_and_leaves_issued_invoices_alone(cast):
    billed_customer(cast)
    run_period(PERIOD, actor=SYSTEM)
    run_period(PERIOD, actor=SYSTEM)
    assert Invoice.objects.count() == 1
    assert InvoiceLine.objects.count() == 1
    invoice = issue_invoice(actor=SYSTEM, invoice=Invoice.objects.get(), today=DEC_1)
    again = run_period(PERIOD, actor=SYSTEM)
    assert (again.drafted, again.skipped) == (0, 1)
    assert Invoice.objects.get().number == invoice.number


def test_one_customer_is_run_again_by_its_issuers_admin_only(cast):
    subscription = billed_customer(cast, seats=2)
    run_period(PERIOD, actor=SYSTEM)
    usage(subscription, 2, PERIOD, NOV_30)  # no change
    with pytest.raises(PermissionDenied):
        run_period(PERIOD, actor=cast.customer_admin, customer=cast.customer)
    with pytest.raises(PermissionDenied):
        run_period(PERIOD, actor=cast.reseller2_admin, customer=cast.customer)
    run = run_period(PERIOD, actor=cast.reseller_admin, customer=cast.customer)
    assert run.drafted == 1
    assert Invoice.objects.get().total == Decimal("23.80")


def test_issuing_numbers_the_invoice_and_dates_it(cast):
    invoice = issue_invoice(actor=cast.reseller_admin, invoice=draft_invoice(cast), today=DEC_1)
    assert invoice.number == "RONE-2026-000001"
    assert (invoice.status, invoice.issued_on, invoice.due_on) == (
        InvoiceStatus.ISSUED,
        DEC_1,
        datetime.date(2026, 12, 31),
    )
    assert invoice.customer_details["name"] == "Customer One"
    with pytest.raises(ValidationError, match="issued already"):
        issue_invoice(actor=SYSTEM, invoice=invoice)


@pytest.mark.parametrize(
    ("account_terms", "provider_terms", "due_on"),
    [
        (None, None, datetime.date(2026, 12, 31)),  # nobody chose: 30 days
        (None, 45, datetime.date(2027, 1, 15)),  # the provider's default
        (14, 45, datetime.date(2026, 12, 15)),  # the account's own terms win
        (0, None, DEC_1),  # due on receipt
    ],
)
def test_the_due_date_follows_the_payment_terms(cast, account_terms, provider_terms, due_on):
    draft = draft_invoice(cast)
    BillingAccount.objects.filter(organisation=cast.customer).update(
        payment_terms_days=account_terms
    )
    if provider_terms is not None:
        BillingSettings.objects.create(provider=cast.provider, payment_terms_days=provider_terms)
    assert issue_invoice(actor=SYSTEM, invoice=draft, today=DEC_1).due_on == due_on


def test_only_the_issuers_admins_issue(cast):
    invoice = draft_invoice(cast)
    for outsider in (cast.customer_admin, cast.reseller2_admin):
        with pytest.raises(PermissionDenied):
            issue_invoice(actor=outsider, invoice=invoice)


def test_the_model_refuses_to_change_or_delete_an_issued_invoice(cast):
    invoice = Invoice.objects.get(pk=issued_invoice(cast).pk)
    invoice.total = Decimal("1.00")
    with pytest.raises(Immutable):
        invoice.save()
    with pytest.raises(Immutable):
        Invoice.objects.get(pk=invoice.pk).delete()
    # What may change: the payment state.
    invoice = Invoice.objects.get(pk=invoice.pk)
    invoice.status = InvoiceStatus.PAID
    invoice.save()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE billing_invoice SET total = 1 WHERE id = %s",
        "UPDATE billing_invoice SET number = 'X-1' WHERE id = %s",
        "UPDATE billing_invoice SET status = 'draft' WHERE id = %s",
        "DELETE FROM billing_invoice WHERE id = %s",
        "UPDATE billing_invoiceline SET net = 1 WHERE invoice_id = %s",
        "DELETE FROM billing_invoiceline WHERE invoice_id = %s",
        "INSERT INTO billing_invoiceline (invoice_id, position, kind, description, quantity,"
        " unit_price, net, vat_rate, vat) VALUES (%s, 9, 'seats', 'x', 1, 1, 1, 0, 0)",
    ],
)
def test_the_database_refuses_a_raw_change_of_an_issued_invoice(cast, sql):
    invoice = issued_invoice(cast)
    with (
        pytest.raises(DatabaseError, match="never"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [invoice.pk])


def test_the_database_lets_a_draft_change(cast):
    invoice = draft_invoice(cast)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE billing_invoiceline SET net = 1 WHERE invoice_id = %s", [invoice.pk])
        cursor.execute("DELETE FROM billing_invoiceline WHERE invoice_id = %s", [invoice.pk])
        cursor.execute("DELETE FROM billing_invoice WHERE id = %s", [invoice.pk])


def test_the_pdf_holds_the_number_the_lines_and_the_totals(cast):
    invoice = issued_invoice(cast)
    assert len(invoice.pdf_sha256) == 64
    text = subprocess.run(
        ["pdftotext", "-layout", invoice.pdf.path, "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in (
        "RONE-2026-000001",
        "Reseller One",
        "Customer One",
        "VPN Standard: 300 seat-days",
        "100.00",
        "19.00",
        "119.00 EUR",
    ):
        assert expected in text


def test_the_pdf_of_a_reverse_charged_invoice_carries_the_legal_note(cast):
    billed_customer(cast)
    BillingAccount.objects.filter(organisation=cast.customer).update(
        tax_country="FR", vat_number="FR40303265045"
    )
    run_period(PERIOD, actor=SYSTEM)
    invoice = issued_invoice(cast)
    assert (invoice.tax, invoice.total) == (Decimal("0.00"), Decimal("100.00"))
    text = subprocess.run(
        ["pdftotext", invoice.pdf.path, "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Reverse charge" in text and "FR40303265045" in text


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_issues_take_twenty_consecutive_numbers(cast):
    postpaid(cast.customer)  # nothing to bill: no invoice
    plan = priced_vpn()
    for n in range(20):
        customer = OrganisationFactory(parent=cast.reseller, code=f"RACE{n}")
        postpaid(customer)
        usage(subscribe(customer, plan=plan), 1, PERIOD, NOV_30)
    run_period(PERIOD, actor=SYSTEM, issuer=cast.reseller)
    drafts = list(Invoice.objects.filter(issuer=cast.reseller))
    assert len(drafts) == 20
    results = race(
        [lambda d=d: issue_invoice(actor=SYSTEM, invoice=d, today=DEC_1) for d in drafts]
    )
    assert not [r for r in results if isinstance(r, Exception)]
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"RONE-2026-{n:06d}" for n in range(1, 21)]


def test_a_deleted_customer_with_invoices_is_not_purged_and_the_purge_goes_on(cast, caplog):
    invoice = issued_invoice(cast)
    plain = OrganisationFactory(parent=cast.reseller, code="GONE")
    long_ago = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    Organisation.objects.filter(pk__in=[cast.customer.pk, plain.pk]).update(
        status="deleted", deleted_at=long_ago
    )
    assert purge_deleted_organisations() == 1
    assert not Organisation.objects.filter(pk=plain.pk).exists()
    assert Invoice.objects.get(pk=invoice.pk).customer_id == cast.customer.pk
    assert "CONE was not purged" in caplog.text
