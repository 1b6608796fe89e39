"""An issuer's Receivables, Revenue and margin, and accounting journal."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.actions.credit_notes import create_credit_note
from billing.actions.invoicing import run_period
from billing.actions.issuing import issue_invoice
from billing.actions.payments import mark_overdue, record_payment_received
from billing.models import Invoice
from core.actors import SYSTEM
from tests.fixtures.catalogue import subscribe
from tests.fixtures.invoices import PERIOD, issued_invoice, postpaid, priced_vpn, usage

pytestmark = pytest.mark.django_db

DEC_1 = datetime.date(2026, 12, 1)


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_receivables_show_open_and_overdue_by_customer(cast, login):
    invoice = issued_invoice(cast)
    record_payment_received(
        actor=SYSTEM, customer=cast.customer, amount="19", received_on=DEC_1, method="cash"
    )
    mark_overdue(datetime.date(2027, 1, 5), actor=SYSTEM)
    client = login(cast.reseller_admin)
    page = client.get(reverse("billing:report_receivables", args=[cast.reseller.pk]))
    assert page.context["rows"] == [
        ["CONE", "Customer One", 1, Decimal("100.00"), Decimal("0"), "EUR"]
    ] or page.context["rows"][0][:4] == ["CONE", "Customer One", 1, Decimal("100.00")]
    rows = _csv(
        client.get(
            reverse("billing:report_receivables", args=[cast.reseller.pk]), {"format": "csv"}
        )
    )
    assert rows[0][:3] == ["Code", "Customer", "Open invoices"]
    assert rows[1][:4] == ["CONE", "Customer One", "1", "100.00"]
    assert invoice.pk


def test_a_reseller_sees_its_margin_against_what_its_parent_billed_it(cast, login):
    issued_invoice(cast)  # Reseller One bills Customer One 100.00 net for November
    # The provider bills Reseller One 60.00 net for November.
    postpaid(cast.reseller)
    usage(subscribe(cast.reseller, plan=priced_vpn()), 6, PERIOD, datetime.date(2026, 11, 30))
    run_period(PERIOD, actor=SYSTEM, customer=cast.reseller)
    issue_invoice(actor=SYSTEM, invoice=Invoice.objects.get(customer=cast.reseller), today=DEC_1)
    create_credit_note(
        actor=SYSTEM,
        invoice=Invoice.objects.get(customer=cast.customer),
        reason="Goodwill",
        amounts={Invoice.objects.get(customer=cast.customer).lines.get().pk: "10.00"},
    )
    page = login(cast.reseller_admin).get(
        reverse("billing:report_revenue", args=[cast.reseller.pk]),
        {"start": "2026-01-01", "end": "2026-11-30"},
    )
    assert page.context["summary"] == [
        ["2026-11", Decimal("90.00"), Decimal("60.00"), Decimal("30.00")]
    ]
    assert page.context["rows"] == [["2026-11", "CONE", "Customer One", Decimal("90.00")]]
    assert b"Margin" in page.content


def test_the_journal_lists_every_document_and_payment_of_the_period(cast, login):
    invoice = issued_invoice(cast)
    create_credit_note(actor=SYSTEM, invoice=invoice, reason="Wrong", today=DEC_1)
    record_payment_received(
        actor=SYSTEM,
        customer=cast.customer,
        amount="5",
        received_on=DEC_1,
        method="transfer",
        reference="SEPA-9",
    )
    rows = _csv(
        login(cast.reseller_admin).get(
            reverse("billing:report_journal", args=[cast.reseller.pk]),
            {"period": "2026-12", "format": "csv"},
        )
    )
    assert rows[0][:3] == ["Date", "Type", "Number"]
    assert [(r[1], r[2], r[7]) for r in rows[1:]] == [
        ("credit_note", "RONE-CN-2026-000001", "-119.00"),
        ("invoice", "RONE-2026-000001", "119.00"),
        ("payment", "", "5.00"),
    ]


def test_a_customer_has_no_money_reports(cast, login):
    url = reverse("billing:report_receivables", args=[cast.customer.pk])
    assert login(cast.reseller_admin).get(url).status_code == 404
