"""A customer's statement for a period: opening balance, invoices, credit notes, payments,
closing balance (as a page and a PDF); and its unit transactions (a prepaid customer's unit
statement)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.actions.documents import render_pdf
from billing.actions.invoicing import previous_period
from billing.forms.invoices import StatementForm
from billing.models import CreditNote, Invoice, InvoiceStatus, Payment, Transaction
from billing.views.accounts import _customer
from customers.models import Organisation
from customers.views.common import page_context

ZERO = Decimal("0")


@dataclass
class Entry:
    day: datetime.date
    kind: str
    reference: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    balance: Decimal = ZERO


@dataclass
class Statement:
    customer: Organisation
    start: datetime.date
    end: datetime.date
    opening: Decimal = ZERO
    closing: Decimal = ZERO
    entries: list[Entry] = field(default_factory=list)
    unit_opening: Decimal = ZERO
    unit_closing: Decimal = ZERO
    units: list = field(default_factory=list)


def _sum(queryset, name: str) -> Decimal:
    return queryset.aggregate(total=Sum(name))["total"] or ZERO


def statement_for(customer: Organisation, start: datetime.date, end: datetime.date) -> Statement:
    invoices = Invoice.objects.filter(customer=customer).exclude(status=InvoiceStatus.DRAFT)
    notes = CreditNote.objects.filter(customer=customer)
    payments = Payment.objects.filter(customer=customer)
    result = Statement(customer, start, end)
    result.opening = (
        _sum(invoices.filter(issued_on__lt=start), "total")
        - _sum(notes.filter(issued_on__lt=start), "total")
        - _sum(payments.filter(received_on__lt=start), "amount")
    )
    entries = [
        Entry(i.issued_on, _("Invoice"), i.number, debit=i.total)
        for i in invoices.filter(issued_on__range=(start, end))
    ]
    entries += [
        Entry(n.issued_on, _("Credit note"), n.number, credit=n.total)
        for n in notes.filter(issued_on__range=(start, end))
    ]
    entries += [
        Entry(p.received_on, _("Payment"), p.reference or p.get_method_display(), credit=p.amount)
        for p in payments.filter(received_on__range=(start, end))
    ]
    entries.sort(key=lambda e: (e.day, e.kind))
    balance = result.opening
    for entry in entries:
        balance += entry.debit - entry.credit
        entry.balance = balance
    result.entries, result.closing = entries, balance
    ledger = Transaction.objects.filter(account__organisation=customer)
    before = ledger.filter(created__date__lt=start).order_by("-created", "-pk").first()
    result.unit_opening = before.balance_after if before else ZERO
    result.units = list(ledger.filter(created__date__range=(start, end)).order_by("created", "pk"))
    result.unit_closing = result.units[-1].balance_after if result.units else result.unit_opening
    return result


def _range(request) -> tuple[StatementForm, datetime.date, datetime.date]:
    start, end = previous_period(timezone.localdate())
    form = StatementForm(request.GET or None, initial={"start": start, "end": end})
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    return form, start, end


@login_required
def statement(request, pk: int):
    organisation = _customer(request, pk)
    form, start, end = _range(request)
    context = page_context(request, organisation, "invoices")
    context.update({"form": form, "statement": statement_for(organisation, start, end)})
    return render(request, "billing/statement.html", context)


@login_required
def statement_pdf(request, pk: int):
    organisation = _customer(request, pk)
    _form, start, end = _range(request)
    data = render_pdf(
        "billing/pdf/statement.html",
        {"statement": statement_for(organisation, start, end)},
        issuer=organisation.parent,
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="statement-{organisation.code}-{start}-{end}.pdf"'
    )
    return response
