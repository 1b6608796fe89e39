"""An issuer's money reports: Receivables (open and overdue amounts by customer), Revenue and
margin (what a reseller billed its customers against what its parent billed it, per period),
and the accounting journal (every issued invoice, credit note and payment of a period).

Each function returns (headers, rows): the page shows them, ``files.table_response`` makes
them a CSV or XLSX download.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, Sum
from django.utils.translation import gettext as _

from billing.models import (
    OPEN_STATUSES,
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
)
from customers.models import Organisation

ZERO = Decimal("0")


def receivables(issuer: Organisation) -> tuple[list[str], list[list]]:
    """Per customer of ``issuer``: open invoices, the amount open, of which overdue (marked
    by the daily checks)."""
    rows = (
        Invoice.objects.filter(issuer=issuer, status__in=OPEN_STATUSES)
        .values("customer__code", "customer__name", "currency")
        .annotate(
            open=Sum(F("total") - F("paid") - F("credited")),
            count=Count("pk"),
        )
        .order_by("customer__code")
    )
    late = dict(
        Invoice.objects.filter(issuer=issuer, status=InvoiceStatus.OVERDUE)
        .values("customer__code")
        .annotate(late=Sum(F("total") - F("paid") - F("credited")))
        .values_list("customer__code", "late")
    )
    headers = [_("Code"), _("Customer"), _("Open invoices"), _("Open"), _("Overdue"), _("Currency")]
    body = [
        [
            r["customer__code"],
            r["customer__name"],
            r["count"],
            r["open"],
            late.get(r["customer__code"], ZERO),
            r["currency"],
        ]
        for r in rows
    ]
    return headers, body


def revenue_and_margin(
    reseller: Organisation, start: datetime.date, end: datetime.date
) -> tuple[list[str], list[list], list[list]]:
    """Per period and customer, what ``reseller`` billed (net, less credit notes); per
    period, what its parent billed it and the margin. Returns headers, the customer rows and
    the period summary rows."""
    billed = (
        Invoice.objects.filter(issuer=reseller, period_start__range=(start, end))
        .exclude(status=InvoiceStatus.DRAFT)
        .values("period_start", "customer__code", "customer__name")
        .annotate(net=Sum("subtotal"))
        .order_by("period_start", "customer__code")
    )
    credits = defaultdict(lambda: ZERO)
    for period, code, net in CreditNote.objects.filter(
        issuer=reseller, invoice__period_start__range=(start, end)
    ).values_list("invoice__period_start", "customer__code", "subtotal"):
        credits[(period, code)] += net
    paid_parent = defaultdict(lambda: ZERO)
    for period, net in (
        Invoice.objects.filter(customer=reseller, period_start__range=(start, end))
        .exclude(status=InvoiceStatus.DRAFT)
        .values_list("period_start", "subtotal")
    ):
        paid_parent[period] += net
    for period, net in CreditNote.objects.filter(
        customer=reseller, invoice__period_start__range=(start, end)
    ).values_list("invoice__period_start", "subtotal"):
        paid_parent[period] -= net
    headers = [_("Period"), _("Code"), _("Customer"), _("Billed (net)")]
    rows = []
    totals = defaultdict(lambda: ZERO)
    for r in billed:
        net = r["net"] - credits[(r["period_start"], r["customer__code"])]
        totals[r["period_start"]] += net
        rows.append(
            [r["period_start"].strftime("%Y-%m"), r["customer__code"], r["customer__name"], net]
        )
    summary = [
        [
            period.strftime("%Y-%m"),
            totals[period],
            paid_parent[period],
            totals[period] - paid_parent[period],
        ]
        for period in sorted(set(totals) | set(paid_parent))
    ]
    return headers, rows, summary


SUMMARY_HEADERS = ("Period", "Billed to customers", "Billed by the parent", "Margin")


def journal(issuer: Organisation, start: datetime.date, end: datetime.date):
    """Every issued invoice, credit note and payment of ``issuer`` dated in the period, in
    date order: one journal line each."""
    headers = [
        _("Date"),
        _("Type"),
        _("Number"),
        _("Customer code"),
        _("Customer"),
        _("Net"),
        _("VAT"),
        _("Total"),
        _("Currency"),
        _("Tax"),
        _("Reference"),
    ]
    lines = []
    for i in (
        Invoice.objects.filter(issuer=issuer, issued_on__range=(start, end))
        .exclude(status=InvoiceStatus.DRAFT)
        .select_related("customer")
    ):
        lines.append(
            [
                i.issued_on,
                "invoice",
                i.number,
                i.customer.code,
                i.customer.name,
                i.subtotal,
                i.tax,
                i.total,
                i.currency,
                i.tax_treatment,
                "",
            ]
        )
    for n in CreditNote.objects.filter(issuer=issuer, issued_on__range=(start, end)).select_related(
        "customer", "invoice"
    ):
        lines.append(
            [
                n.issued_on,
                "credit_note",
                n.number,
                n.customer.code,
                n.customer.name,
                -n.subtotal,
                -n.tax,
                -n.total,
                n.currency,
                n.invoice.tax_treatment,
                n.invoice.number,
            ]
        )
    for p in Payment.objects.filter(issuer=issuer, received_on__range=(start, end)).select_related(
        "customer"
    ):
        lines.append(
            [
                p.received_on,
                "payment",
                "",
                p.customer.code,
                p.customer.name,
                "",
                "",
                p.amount,
                p.currency,
                p.method,
                p.reference,
            ]
        )
    lines.sort(key=lambda line: (line[0], line[1], line[2]))
    return headers, lines
