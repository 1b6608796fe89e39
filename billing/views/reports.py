"""The Reports tab of an organisation's page: Usage and Licence, each a page, a CSV or XLSX
download, and "Subscribe monthly".

A report covers the organisation's whole subtree: the provider's reports cover everyone, a
reseller's its customers (and their customers), a customer's itself. Whoever holds
``view_billing`` on the organisation sees them; one out of reach is a 404, one visible
without ``view_billing`` (help desk) a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.actions.reports import subscribe_report, unsubscribe_report
from billing.forms.reports import DownloadForm, PeriodForm, SubscriptionForm
from billing.models import FINANCE_REPORTS, FileFormat, ReportKind, ReportSubscription
from billing.reports import files, licence, usage
from billing.visibility import billing_customer
from core.charts import legend, line_chart
from core.scoping import has_permission
from core.views import require, run_action, visible_or_404
from customers.models import Organisation
from customers.views.common import page_context

PAGE = 50
PAGES = {
    ReportKind.USAGE: "billing:report_usage",
    ReportKind.LICENCE: "billing:report_licence",
    ReportKind.RECEIVABLES: "billing:report_receivables",
    ReportKind.REVENUE: "billing:report_revenue",
    ReportKind.JOURNAL: "billing:report_journal",
}


def _subject(request, pk: int) -> Organisation:
    return billing_customer(request.user, pk)


def issuer_of(request, pk: int) -> Organisation:
    """The reseller whose money reports (Receivables, Revenue and margin, the journal) these
    are: a customer bills nobody (404); ``manage_billing`` on it is needed (403)."""
    issuer = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    if not issuer.is_reseller:
        raise Http404  # a customer bills nobody
    require(request, "manage_billing", issuer)
    return issuer


def monthly_context(request, organisation: Organisation, report: str) -> dict:
    """What the "Subscribe monthly" control (billing/reports/_monthly.html) needs."""
    subscription = ReportSubscription.objects.filter(
        user_id=request.user.pk, organisation=organisation, report=report
    ).first()
    return {
        "subscription": subscription,
        "subscription_form": SubscriptionForm(
            initial={
                "report": report,
                "file_format": subscription.file_format if subscription else FileFormat.CSV,
            }
        ),
    }


def _context(request, organisation: Organisation, report: str) -> dict:
    context = page_context(request, organisation, "reports")
    context.update(
        {
            "report": report,
            "may_finance": has_permission(request.user, "manage_billing", organisation),
            **monthly_context(request, organisation, report),
        }
    )
    return context


@login_required
def usage_report(request, pk: int):
    """Usage: seats per customer and service over a period, the peak and the average, and
    the subtree's seats per service per day as a line chart."""
    organisation = _subject(request, pk)
    form = PeriodForm(request.GET)
    context = _context(request, organisation, ReportKind.USAGE)
    context["form"] = form
    if not form.is_bound or form.is_valid():
        period = form.period()
        page = Paginator(usage.subscriptions(organisation, period), PAGE).get_page(
            request.GET.get("page")
        )
        stats = usage.peaks_and_averages([s.pk for s in page], period)
        labels, series = usage.chart_series(organisation, period)
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("format", None)
        context.update(
            {
                "period": period,
                "page": page,
                "rows": [(s, *stats.get(s.pk, (0, 0))) for s in page],
                "chart": line_chart(
                    labels,
                    series,
                    title=_("Seats per day of %(name)s, %(period)s")
                    % {"name": organisation.name, "period": period},
                    y_label=_("Seats"),
                    element_id="usage-chart",
                )
                if series
                else None,
                "legend": legend(series),
                "query": query.urlencode(),
            }
        )
    return render(request, "billing/reports/usage.html", context)


def _format(request) -> str | None:
    """The download's ``?format=`` (csv or xlsx), or None with a message saying so."""
    chosen = DownloadForm(request.GET)
    if chosen.is_valid():
        return chosen.cleaned_data["format"]
    messages.error(request, _("Choose CSV or Excel (XLSX)."))
    return None


@login_required
def usage_download(request, pk: int):
    organisation = _subject(request, pk)
    form = PeriodForm(request.GET)
    back = reverse("billing:report_usage", args=[organisation.pk])
    file_format = _format(request)
    if file_format is None or (form.is_bound and not form.is_valid()):
        query = request.GET.copy()
        query.pop("format", None)
        return HttpResponseRedirect(f"{back}?{query.urlencode()}")
    period = form.period()
    return files.table_response(
        f"usage-{organisation.code}-{period.start}-{period.end}",
        usage.headers(period),
        usage.rows(organisation, period),
        file_format,
        sheet=_("Usage"),
    )


@login_required
def licence_report(request, pk: int):
    """Licence: per customer the licence-reporting fields and the seats of each service."""
    organisation = _subject(request, pk)
    columns = licence.services()
    page = Paginator(licence.customers(organisation), PAGE).get_page(request.GET.get("page"))
    counted = licence.seats([customer.pk for customer in page])
    context = _context(request, organisation, ReportKind.LICENCE)
    context.update(
        {
            "columns": columns,
            "page": page,
            "rows": [
                (
                    customer,
                    licence.deal_ids_text(customer.deal_ids),
                    [counted.get((customer.pk, s.pk), 0) for s in columns],
                )
                for customer in page
            ],
        }
    )
    return render(request, "billing/reports/licence.html", context)


@login_required
def licence_download(request, pk: int):
    organisation = _subject(request, pk)
    back = reverse("billing:report_licence", args=[organisation.pk])
    file_format = _format(request)
    if file_format is None:
        return HttpResponseRedirect(back)
    columns = licence.services()
    return files.table_response(
        f"licences-{organisation.code}-{timezone.localdate()}",
        licence.headers(columns),
        licence.rows(organisation, columns),
        file_format,
        sheet=_("Licences"),
    )


@login_required
@require_POST
def report_subscription(request, pk: int):
    """Subscribe monthly (or Unsubscribe): the report's file by e-mail on the 1st. A money
    report (Receivables, Revenue and margin, the journal) asks what its page asks: a
    reseller, and ``manage_billing`` on it."""
    report = request.POST.get("monthly-report", "")
    subject = issuer_of if report in FINANCE_REPORTS else _subject
    organisation = subject(request, pk)
    form = SubscriptionForm(request.POST)
    back = reverse(PAGES.get(report, "billing:report_usage"), args=[organisation.pk])
    if request.POST.get("unsubscribe"):
        return run_action(
            request,
            lambda: unsubscribe_report(
                actor=request.user, organisation=organisation, report=report
            ),
            success=_("You will no longer receive this report by e-mail."),
            redirect_to=back,
        )
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return HttpResponseRedirect(back)
    return run_action(
        request,
        lambda: subscribe_report(
            actor=request.user,
            organisation=organisation,
            report=form.cleaned_data["report"],
            file_format=form.cleaned_data["file_format"],
        ),
        success=lambda subscription: (
            _(
                "On the 1st of each month you will receive this report by e-mail at "
                "%(email)s, as %(format)s."
            )
            % {"email": request.user.email, "format": subscription.get_file_format_display()}
        ),
        redirect_to=back,
    )
