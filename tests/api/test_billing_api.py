"""The billing endpoints: invoices (list, detail with lines, PDF), payments and billing
accounts, read by billing.visibility as the billing pages are."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Payment
from tests.api.helpers import api_client
from tests.fixtures.billing import customer_account
from tests.fixtures.invoices import draft_invoice, issued_invoice

pytestmark = pytest.mark.django_db

# The key (with its owner), its last use, and the page: one query for the rows.
INVOICE_LIST_QUERIES = 3
PAYMENT_LIST_QUERIES = 3
ACCOUNT_LIST_QUERIES = 3


def _payment(cast, amount="5.00"):
    return Payment.objects.create(
        issuer=cast.customer.parent,
        customer=cast.customer,
        amount=Decimal(amount),
        currency="EUR",
        received_on=datetime.date(2026, 12, 5),
        method="transfer",
        reference="Matrix",
    )


def test_the_customers_admin_lists_and_reads_its_issued_invoices(cast):
    invoice = issued_invoice(cast)
    client = api_client(cast.customer_admin)
    body = client.get(reverse("api:invoice-list")).json()
    assert [row["id"] for row in body["results"]] == [invoice.pk]
    assert body["results"][0]["number"] == invoice.number
    detail = client.get(reverse("api:invoice-detail", args=[invoice.pk])).json()
    assert detail["lines"] and detail["lines"][0]["description"]
    assert Decimal(detail["total"]) == invoice.total
    pdf = client.get(detail["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_filters_by_status_and_customer(cast):
    invoice = issued_invoice(cast)
    client = api_client(cast.reseller_admin)
    url = reverse("api:invoice-list")
    assert [r["id"] for r in client.get(url, {"status": invoice.status}).json()["results"]] == [
        invoice.pk
    ]
    assert client.get(url, {"status": "paid"}).json()["results"] == []
    assert len(client.get(url, {"customer": cast.customer.pk}).json()["results"]) == 1
    assert client.get(url, {"customer": cast.reseller.pk}).json()["results"] == []
    assert client.get(url, {"status": "draft"}).json()["results"] == []


def test_a_draft_is_shown_to_the_issuers_admins_only(cast):
    """Drafts are the issuer's work in progress, as on the Invoices tab."""
    draft = draft_invoice(cast)
    issuer = api_client(cast.reseller_admin)
    assert [r["id"] for r in issuer.get(reverse("api:invoice-list")).json()["results"]] == [
        draft.pk
    ]
    assert issuer.get(reverse("api:invoice-detail", args=[draft.pk])).status_code == 200
    customer = api_client(cast.customer_admin)
    assert customer.get(reverse("api:invoice-list")).json()["results"] == []
    assert customer.get(reverse("api:invoice-detail", args=[draft.pk])).status_code == 404


def test_a_sibling_resellers_key_gets_404_and_an_empty_list(cast):
    invoice = issued_invoice(cast)
    _payment(cast)
    client = api_client(cast.reseller2_admin)
    assert client.get(reverse("api:invoice-detail", args=[invoice.pk])).status_code == 404
    assert client.get(reverse("api:invoice-pdf", args=[invoice.pk])).status_code == 404
    assert client.get(reverse("api:invoice-list")).json()["results"] == []
    assert client.get(reverse("api:payment-list")).json()["results"] == []
    account = customer_account(cast)
    assert client.get(reverse("api:billing-account-detail", args=[account.pk])).status_code == 404
    ids = [r["id"] for r in client.get(reverse("api:billing-account-list")).json()["results"]]
    assert account.pk not in ids


def test_payments_and_the_account_balance_and_mode(cast):
    payment = _payment(cast)
    account = customer_account(cast)
    client = api_client(cast.customer_admin)
    rows = client.get(reverse("api:payment-list")).json()["results"]
    assert [(r["id"], r["amount"]) for r in rows] == [(payment.pk, "5.00")]
    body = client.get(reverse("api:billing-account-detail", args=[account.pk])).json()
    assert body["billing_mode"] == account.billing_mode
    assert Decimal(body["balance"]) == account.balance


@pytest.mark.parametrize(
    "name, make",
    [
        ("api:invoice-list", lambda cast: issued_invoice(cast)),
        ("api:payment-list", lambda cast: [_payment(cast, str(n + 1)) for n in range(3)]),
        ("api:billing-account-list", lambda cast: customer_account(cast)),
    ],
)
def test_the_list_endpoints_cost_a_fixed_number_of_queries(
    cast, django_assert_num_queries, name, make
):
    make(cast)
    client = api_client(cast.reseller_admin)
    client.get(reverse(name))  # warm: the key's first use records itself
    expected = {
        "api:invoice-list": INVOICE_LIST_QUERIES,
        "api:payment-list": PAYMENT_LIST_QUERIES,
        "api:billing-account-list": ACCOUNT_LIST_QUERIES,
    }[name]
    with django_assert_num_queries(expected):
        assert client.get(reverse(name)).status_code == 200
