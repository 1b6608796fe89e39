"""The Invoices tab, an invoice's page, its PDF, the issuer's drafts and the statement, as
their users see them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.actions.payments import record_payment_received
from billing.models import BillingAccount, Invoice, Payment
from core.actors import SYSTEM
from tests.fixtures.invoices import PERIOD, billed_customer, draft_invoice, issued_invoice

pytestmark = pytest.mark.django_db


def test_the_customer_admin_downloads_the_pdf_and_a_sibling_reseller_gets_404(cast, login):
    invoice = issued_invoice(cast)
    url = reverse("billing:invoice_pdf", args=[cast.customer.pk, invoice.pk])
    response = login(cast.customer_admin).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "RONE-2026-000001.pdf" in response["Content-Disposition"]
    assert login(cast.reseller2_admin).get(url).status_code == 404
    # Another customer's number under Customer One's page is a 404 too.
    other = reverse("billing:invoice_pdf", args=[cast.customer2.pk, invoice.pk])
    assert login(cast.provider_admin).get(other).status_code == 404


def test_the_customer_admin_sees_no_drafts(cast, login):
    draft = draft_invoice(cast)
    tab = login(cast.customer_admin).get(reverse("billing:invoices", args=[cast.customer.pk]))
    assert tab.status_code == 200 and tab.context["invoices"] == []
    page = reverse("billing:invoice", args=[cast.customer.pk, draft.pk])
    assert login(cast.customer_admin).get(page).status_code == 404
    assert login(cast.reseller_admin).get(page).status_code == 200


def test_the_invoices_tab_lists_documents_with_download_links_in_a_fixed_number_of_queries(
    cast, login, django_assert_max_num_queries
):
    invoice = issued_invoice(cast)
    client = login(cast.customer_admin)
    url = reverse("billing:invoices", args=[cast.customer.pk])
    client.get(url)
    with django_assert_max_num_queries(20):
        page = client.get(url)
    assert b"RONE-2026-000001" in page.content
    assert reverse("billing:invoice_pdf", args=[cast.customer.pk, invoice.pk]).encode() in (
        page.content
    )


def test_the_issuers_admin_issues_a_draft_from_its_page(cast, login):
    draft = draft_invoice(cast)
    url = reverse("billing:invoice", args=[cast.customer.pk, draft.pk])
    response = login(cast.reseller_admin).post(url, {"form": "issue"})
    assert response.status_code == 302
    assert Invoice.objects.get(pk=draft.pk).number.startswith("RONE-")
    assert login(cast.customer_admin).post(url, {"form": "issue"}).status_code == 403


def test_a_payment_form_error_is_on_its_field(cast, login):
    issued_invoice(cast)
    response = login(cast.reseller_admin).post(
        reverse("billing:invoices", args=[cast.customer.pk]),
        {
            "form": "payment",
            "payment-amount": "-5",
            "payment-received_on": "2026-12-01",
            "payment-method": "transfer",
        },
    )
    assert response.status_code == 200
    assert "amount" in response.context["payment_form"].errors
    assert not Payment.objects.exists()


def test_the_drafts_page_runs_and_issues_a_period(cast, login):
    billed_customer(cast)
    client = login(cast.reseller_admin)
    url = reverse("billing:drafts", args=[cast.reseller.pk])
    assert client.post(url, {"form": "run", "run-period": "2026-11"}).status_code == 302
    page = client.get(url + "?period=2026-11")
    assert b"Customer One" in page.content and b"119.00" in page.content
    assert client.post(url, {"form": "issue", "run-period": "2026-11"}).status_code == 302
    assert Invoice.objects.get(period_start=PERIOD).number == "RONE-2026-000001"


def test_the_drafts_page_says_who_was_not_drafted_and_why(cast, login):
    billed_customer(cast)
    BillingAccount.objects.filter(organisation=cast.customer).update(tax_country="NL")
    client = login(cast.reseller_admin)
    url = reverse("billing:drafts", args=[cast.reseller.pk])
    page = client.post(url, {"form": "run", "run-period": "2026-11"}, follow=True)
    assert b"0 invoices drafted" in page.content
    assert b"Not drafted: Customer One: There is no VAT rate for NL" in page.content


def test_issuing_a_stale_draft_from_the_drafts_page_shows_the_error(cast, login):
    draft_invoice(cast)
    BillingAccount.objects.filter(organisation=cast.customer).update(tax_country="FR")
    client = login(cast.reseller_admin)
    url = reverse("billing:drafts", args=[cast.reseller.pk])
    page = client.post(url, {"form": "issue", "run-period": "2026-11"})
    assert page.status_code == 200
    assert b"run the period again" in page.content
    assert Invoice.objects.get().is_draft


def test_the_statement_shows_opening_and_closing_balances(cast, login):
    issued_invoice(cast)
    record_payment_received(
        actor=SYSTEM,
        customer=cast.customer,
        amount="19.00",
        received_on=datetime.date(2026, 12, 1),
        method="transfer",
        reference="Part",
    )
    client = login(cast.customer_admin)
    url = reverse("billing:statement", args=[cast.customer.pk])
    page = client.get(url, {"start": "2026-12-01", "end": "2026-12-31"})
    statement = page.context["statement"]
    assert (statement.opening, statement.closing) == (Decimal("0"), Decimal("100.00"))
    assert [e.reference for e in statement.entries] == ["RONE-2026-000001", "Part"]
    later = client.get(url, {"start": "2027-01-01", "end": "2027-01-31"}).context["statement"]
    assert later.opening == later.closing == Decimal("100.00")
    pdf = client.get(
        reverse("billing:statement_pdf", args=[cast.customer.pk]),
        {"start": "2026-12-01", "end": "2026-12-31"},
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
