"""Payments recorded by hand and allocated, the invoices' payment states, the overdue
reminder (checked as a real SMTP server receives it), and credit notes."""

from __future__ import annotations

import datetime
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from billing.actions import payments
from billing.actions.credit_notes import create_credit_note
from billing.actions.issuing import issue_invoice
from billing.actions.payments import balance_due, mark_overdue, record_payment_received
from billing.models import BillingAccount, CreditNote, Immutable, Invoice, InvoiceStatus
from billing.tasks import invoice_reminder
from core.actors import SYSTEM
from tests.fixtures.invoices import draft_invoice, issued_invoice
from tests.fixtures.themes import reseller_theme

pytestmark = pytest.mark.django_db

PAID_ON = datetime.date(2026, 12, 1)
DEC_1 = datetime.date(2026, 12, 1)


def _status(invoice):
    return Invoice.objects.get(pk=invoice.pk).status


def test_a_payment_in_two_parts_makes_the_invoice_partly_paid_then_paid(cast):
    invoice = issued_invoice(cast)  # 119.00
    pay = {"actor": cast.reseller_admin, "customer": cast.customer, "received_on": PAID_ON}
    record_payment_received(amount="100", method="transfer", reference="SEPA 1", **pay)
    assert _status(invoice) == InvoiceStatus.PARTLY_PAID
    assert balance_due(cast.customer) == Decimal("19.00")
    record_payment_received(amount="19.00", method="card", **pay)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid, invoice.due) == ("paid", Decimal("119.00"), 0)
    assert balance_due(cast.customer) == Decimal("0.00")


def test_an_overpayment_stays_a_credit(cast):
    invoice = issued_invoice(cast)
    payment = record_payment_received(
        actor=SYSTEM, customer=cast.customer, amount="150", received_on=PAID_ON, method="cash"
    )
    assert [a.amount for a in payment.allocations.all()] == [Decimal("119.00")]
    assert _status(invoice) == "paid"
    assert balance_due(cast.customer) == Decimal("-31.00")


@pytest.mark.parametrize(
    ("amount", "method", "field"),
    [("0", "transfer", "amount"), ("abc", "transfer", "amount"), ("10", "barter", "method")],
)
def test_a_bad_payment_is_refused_on_its_field(cast, amount, method, field):
    issued_invoice(cast)
    with pytest.raises(ValidationError) as refused:
        record_payment_received(
            actor=SYSTEM, customer=cast.customer, amount=amount, received_on=PAID_ON, method=method
        )
    assert field in refused.value.error_dict


def test_only_the_issuers_admins_record_payments(cast):
    issued_invoice(cast)
    for who in (cast.customer_admin, cast.reseller2_admin):
        with pytest.raises(PermissionDenied):
            record_payment_received(
                actor=who, customer=cast.customer, amount="1", received_on=PAID_ON, method="cash"
            )


def test_an_overdue_invoice_gets_one_reminder_by_e_mail(
    cast, smtp, monkeypatch, django_capture_on_commit_callbacks
):
    cast.customer.email = "billing@customer.example"
    cast.customer.save()
    invoice = issued_invoice(cast)  # due 2026-12-31
    # The worker's task, run here: the test checks the e-mail, not the broker.
    monkeypatch.setattr(payments, "enqueue_reminder", lambda pk: invoice_reminder(pk))
    with django_capture_on_commit_callbacks(execute=True):
        assert mark_overdue(datetime.date(2026, 12, 31), actor=SYSTEM) == []
        assert mark_overdue(datetime.date(2027, 1, 1), actor=SYSTEM) == [invoice.pk]
        assert mark_overdue(datetime.date(2027, 1, 2), actor=SYSTEM) == []
    assert _status(invoice) == InvoiceStatus.OVERDUE
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert "RONE-2026-000001" in message["Subject"]
    assert "billing@customer.example" in smtp.recipients[0]
    assert "119.00 EUR" in message.get_body(("plain",)).get_content()


def test_an_invoice_is_overdue_after_its_customers_payment_terms(cast):
    invoice = draft_invoice(cast)
    BillingAccount.objects.filter(organisation=cast.customer).update(payment_terms_days=14)
    invoice = issue_invoice(actor=SYSTEM, invoice=invoice, today=DEC_1)
    assert invoice.due_on == datetime.date(2026, 12, 15)
    assert mark_overdue(datetime.date(2026, 12, 15), actor=SYSTEM) == []
    assert mark_overdue(datetime.date(2026, 12, 16), actor=SYSTEM) == [invoice.pk]
    assert _status(invoice) == InvoiceStatus.OVERDUE


def test_the_reminder_wears_the_issuers_theme_and_speaks_the_customers_language(
    cast, smtp, monkeypatch, django_capture_on_commit_callbacks
):
    reseller_theme(cast)
    cast.customer.email = "billing@customer.example"
    cast.customer.language = "de"
    cast.customer.save()
    invoice = issued_invoice(cast)
    monkeypatch.setattr(payments, "enqueue_reminder", lambda pk: invoice_reminder(pk))
    with django_capture_on_commit_callbacks(execute=True):
        assert mark_overdue(datetime.date(2027, 1, 1), actor=SYSTEM) == [invoice.pk]
    to_customer = [m for m in smtp.messages if m["To"] == "billing@customer.example"]
    assert len(to_customer) == 1  # one message per recipient
    message = to_customer[0]
    assert "Zahlungserinnerung" in message["Subject"]
    assert message["Reply-To"] == "help@reseller.example"
    text = message.get_body(("plain",)).get_content()
    assert "noch offen" in text and "Reseller One Cloud" in text
    assert "help@reseller.example" in text
    html = message.get_body(("html",)).get_content()
    assert "Reseller One Cloud" in html and "/logo" in html


def test_a_full_credit_note_credits_the_invoice(cast):
    invoice = issued_invoice(cast)
    note = create_credit_note(
        actor=cast.reseller_admin, invoice=invoice, reason="Wrong seats", today=PAID_ON
    )
    assert (note.number, note.full, note.total) == ("RONE-CN-2026-000001", True, Decimal("119.00"))
    assert _status(invoice) == InvoiceStatus.CREDITED
    assert balance_due(cast.customer) == Decimal("0.00")
    with pytest.raises(ValidationError, match="nothing left"):
        create_credit_note(actor=SYSTEM, invoice=invoice, reason="Again")
    text = subprocess.run(
        ["pdftotext", note.pdf.path, "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "RONE-CN-2026-000001" in text and "RONE-2026-000001" in text and "Wrong seats" in text


def test_a_partial_credit_note_leaves_the_rest_due(cast):
    invoice = issued_invoice(cast)
    line = invoice.lines.get()
    note = create_credit_note(
        actor=SYSTEM, invoice=invoice, reason="Two seats too many", amounts={line.pk: "20.00"}
    )
    assert (note.full, note.subtotal, note.tax, note.total) == (
        False,
        Decimal("20.00"),
        Decimal("3.80"),
        Decimal("23.80"),
    )
    assert _status(invoice) == InvoiceStatus.PARTLY_PAID
    assert balance_due(cast.customer) == Decimal("95.20")
    with pytest.raises(ValidationError, match="more than is left"):
        create_credit_note(actor=SYSTEM, invoice=invoice, reason="x", amounts={line.pk: "81"})


def test_a_credit_note_needs_a_reason_and_never_changes(cast):
    invoice = issued_invoice(cast)
    with pytest.raises(ValidationError):
        create_credit_note(actor=SYSTEM, invoice=invoice, reason=" ")
    note = create_credit_note(actor=SYSTEM, invoice=invoice, reason="Goodwill")
    note = CreditNote.objects.get(pk=note.pk)
    note.total = Decimal("1")
    with pytest.raises(Immutable):
        note.save()
    with pytest.raises(PermissionDenied):
        create_credit_note(actor=cast.customer_admin, invoice=invoice, reason="Mine")
