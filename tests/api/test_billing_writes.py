"""Billing writes over HTTP: record a payment (and where it went), issue a draft, credit an
invoice in full or in part. Each calls the action the Invoices tab calls, with the API's safe
writes: ``Idempotency-Key`` on POST, ``If-Match`` with the invoice's ETag."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import CreditNote, Invoice, InvoiceStatus, Payment
from core.credentials import encrypt_secret
from customers.models import Webhook, WebhookDelivery
from tests.api.helpers import api_client
from tests.fixtures.invoices import draft_invoice, issued_invoice

pytestmark = pytest.mark.django_db


def post(client, url, data=None, **headers):
    return client.post(
        url, json.dumps(data or {}), content_type="application/json", headers=headers
    )


def _payment(cast, amount: str, **extra) -> dict:
    return {
        "customer": cast.customer.pk,
        "amount": amount,
        "received_on": timezone.localdate().isoformat(),
        "method": "transfer",
        "reference": "Bank 42",
        **extra,
    }


def test_a_payment_is_recorded_and_allocated_to_the_invoice_named(cast):
    invoice = issued_invoice(cast)
    half = (invoice.total / 2).quantize(Decimal("0.01"))
    client = api_client(cast.reseller_admin)
    response = post(
        client, reverse("api:payment-list"), _payment(cast, str(half), invoice=invoice.pk)
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["allocations"] == [{"invoice": invoice.pk, "amount": str(half)}]
    payment = Payment.objects.get(pk=body["id"])
    assert (payment.amount, payment.reference, payment.actor) == (
        half,
        "Bank 42",
        cast.reseller_admin,
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PARTLY_PAID and invoice.paid == half


def test_a_retried_payment_is_recorded_once(cast):
    issued_invoice(cast)
    client = api_client(cast.reseller_admin)
    data = _payment(cast, "10.00")
    first = post(client, reverse("api:payment-list"), data, **{"Idempotency-Key": "pay-1"})
    again = post(client, reverse("api:payment-list"), data, **{"Idempotency-Key": "pay-1"})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Payment.objects.count() == 1


def test_a_payment_in_the_future_or_to_another_customers_invoice_is_refused(cast):
    invoice = issued_invoice(cast)
    client = api_client(cast.provider_admin)
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    late = post(client, reverse("api:payment-list"), _payment(cast, "1", received_on=tomorrow))
    assert late.status_code == 400 and "received_on" in late.json()
    data = _payment(cast, "1", customer=cast.customer2.pk, invoice=invoice.pk)
    assert post(client, reverse("api:payment-list"), data).status_code == 400
    assert Payment.objects.count() == 0


def test_the_customers_own_admin_may_not_record_a_payment(cast):
    issued_invoice(cast)
    response = post(
        api_client(cast.customer_admin), reverse("api:payment-list"), _payment(cast, "1")
    )
    assert response.status_code == 403
    assert Payment.objects.count() == 0


def test_the_issuers_admin_issues_a_draft_once(cast):
    draft = draft_invoice(cast)
    client = api_client(cast.reseller_admin)
    url = reverse("api:invoice-issue", args=[draft.pk])
    response = post(client, url)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "issued" and body["number"] == "RONE-2026-000001"
    assert body["pdf_url"] and response["ETag"]
    assert post(client, url).status_code == 400  # issued already


def test_issuing_a_draft_that_changed_since_it_was_read_is_412(cast):
    draft = draft_invoice(cast)
    client = api_client(cast.reseller_admin)
    etag = client.get(reverse("api:invoice-detail", args=[draft.pk]))["ETag"]
    Invoice.objects.filter(pk=draft.pk).update(tax_note="Run again meanwhile")
    stale = post(client, reverse("api:invoice-issue", args=[draft.pk]), **{"If-Match": etag})
    assert stale.status_code == 412
    assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.DRAFT
    fresh = client.get(reverse("api:invoice-detail", args=[draft.pk]))["ETag"]
    done = post(client, reverse("api:invoice-issue", args=[draft.pk]), **{"If-Match": fresh})
    assert done.status_code == 200


def test_a_partial_then_a_full_credit_note(cast):
    invoice = issued_invoice(cast)
    line = invoice.lines.get()
    client = api_client(cast.reseller_admin)
    url = reverse("api:invoice-credit-notes", args=[invoice.pk])
    etag = client.get(reverse("api:invoice-detail", args=[invoice.pk]))["ETag"]
    partial = post(
        client,
        url,
        {"reason": "One seat too many", "lines": [{"line": line.pk, "amount": "10.00"}]},
        **{"If-Match": etag},
    )
    assert partial.status_code == 201, partial.json()
    assert partial.json()["full"] is False and partial.json()["subtotal"] == "10.00"
    assert client.get(partial["Location"]).json()["number"] == partial.json()["number"]
    # The invoice changed: the ETag read before the partial credit is stale now.
    stale = post(client, url, {"reason": "Everything"}, **{"If-Match": etag})
    assert stale.status_code == 412 and CreditNote.objects.count() == 1
    rest = post(client, url, {"reason": "Everything"})
    assert rest.status_code == 201
    assert Decimal(rest.json()["subtotal"]) == line.net - Decimal("10.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CREDITED
    assert post(client, url, {"reason": "Again"}).status_code == 400  # nothing left


def test_a_credit_note_names_lines_of_its_invoice_once_and_gives_a_reason(cast):
    invoice = issued_invoice(cast)
    line = invoice.lines.get()
    client = api_client(cast.reseller_admin)
    url = reverse("api:invoice-credit-notes", args=[invoice.pk])
    twice = [{"line": line.pk, "amount": "1.00"}, {"line": line.pk, "amount": "2.00"}]
    assert post(client, url, {"reason": "x", "lines": twice}).status_code == 400
    foreign = [{"line": line.pk + 1000, "amount": "1.00"}]
    assert post(client, url, {"reason": "x", "lines": foreign}).status_code == 400
    assert post(client, url, {"reason": "  "}).status_code == 400
    assert CreditNote.objects.count() == 0


def test_a_draft_is_not_credited_and_its_customer_admin_cannot_issue_it(cast):
    draft = draft_invoice(cast)
    issuer = api_client(cast.reseller_admin)
    credit = post(issuer, reverse("api:invoice-credit-notes", args=[draft.pk]), {"reason": "x"})
    assert credit.status_code == 400
    own = api_client(cast.customer_admin)
    assert post(own, reverse("api:invoice-issue", args=[draft.pk])).status_code == 404


def test_issuing_and_a_payment_are_told_to_the_webhooks_above_the_customer(cast):
    hook = Webhook.objects.create(
        organisation=cast.reseller,
        url="https://8.8.8.8/psa",
        events=["billing.invoice_issued", "billing.payment_recorded"],
        secret=encrypt_secret("whsec_billing"),
    )
    draft = draft_invoice(cast)
    client = api_client(cast.reseller_admin)
    assert post(client, reverse("api:invoice-issue", args=[draft.pk])).status_code == 200
    paid = post(client, reverse("api:payment-list"), _payment(cast, "119.00", invoice=draft.pk))
    assert paid.status_code == 201
    issued, payment = (
        d.payload for d in WebhookDelivery.objects.filter(webhook=hook).order_by("pk")
    )
    assert issued["event"] == "billing.invoice_issued"
    assert (issued["data"]["invoice"], issued["data"]["number"]) == (draft.pk, "RONE-2026-000001")
    assert payment["event"] == "billing.payment_recorded"
    assert payment["data"]["allocations"] == [{"invoice": draft.pk, "amount": "119.00"}]


def test_a_retried_credit_note_or_issue_is_done_once(cast):
    draft = draft_invoice(cast)
    client = api_client(cast.reseller_admin)
    issue = reverse("api:invoice-issue", args=[draft.pk])
    first = post(client, issue, **{"Idempotency-Key": "issue-1"})
    again = post(client, issue, **{"Idempotency-Key": "issue-1"})
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    credit = reverse("api:invoice-credit-notes", args=[draft.pk])
    notes = [post(client, credit, {"reason": "Once"}, **{"Idempotency-Key": "cn-1"}) for _ in "12"]
    assert [n.status_code for n in notes] == [201, 201]
    assert notes[0].json() == notes[1].json() and CreditNote.objects.count() == 1
    # The same key for another request is refused, not replayed.
    other = post(client, credit, {"reason": "Other"}, **{"Idempotency-Key": "cn-1"})
    assert other.status_code == 422
