"""An issuer's money reports as pages with a CSV or XLSX download: Receivables, Revenue and
margin, and the accounting journal of a period (billing.reports.finance).

They are the issuer's own business: its admins (``manage_billing`` on it) and those above see
them; a customer's page has none (404), as has anyone who cannot see the issuer.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from billing.actions.invoicing import period_of, previous_period
from billing.forms.invoices import StatementForm, parse_month
from billing.reports import files, finance
from billing.views.reports import issuer_of, monthly_context
from customers.views.common import page_context


def _format(request) -> str | None:
    value = request.GET.get("format")
    return value if value in files.FORMATS else None


def _page(request, issuer, template, report, **extra):
    context = page_context(request, issuer, "reports")
    context.update({"report": report, **monthly_context(request, issuer, report), **extra})
    return render(request, template, context)


@login_required
def receivables(request, pk: int):
    issuer = issuer_of(request, pk)
    headers, rows = finance.receivables(issuer)
    file_format = _format(request)
    if file_format:
        return files.table_response(f"receivables-{issuer.code}", headers, rows, file_format)
    return _page(
        request, issuer, "billing/finance/table.html", "receivables", headers=headers, rows=rows
    )


def _months(request) -> tuple[StatementForm, datetime.date, datetime.date]:
    first, last = previous_period(timezone.localdate())
    start = first.replace(month=1)
    form = StatementForm(request.GET or None, initial={"start": start, "end": last})
    if form.is_bound and form.is_valid():
        start, last = form.cleaned_data["start"], form.cleaned_data["end"]
    return form, period_of(start)[0], last


@login_required
def revenue(request, pk: int):
    issuer = issuer_of(request, pk)
    form, start, end = _months(request)
    headers, rows, summary = finance.revenue_and_margin(issuer, start, end)
    file_format = _format(request)
    if file_format:
        return files.table_response(f"revenue-{issuer.code}", headers, rows, file_format)
    return _page(
        request,
        issuer,
        "billing/finance/revenue.html",
        "revenue",
        form=form,
        headers=headers,
        rows=rows,
        summary=summary,
    )


@login_required
def journal(request, pk: int):
    issuer = issuer_of(request, pk)
    month = parse_month(request.GET.get("period")) or previous_period(timezone.localdate())[0]
    start, end = period_of(month)
    headers, rows = finance.journal(issuer, start, end)
    file_format = _format(request)
    if file_format:
        return files.table_response(
            f"journal-{issuer.code}-{month:%Y-%m}", headers, rows, file_format
        )
    return _page(
        request,
        issuer,
        "billing/finance/table.html",
        "journal",
        headers=headers,
        rows=rows,
        month=month,
    )
