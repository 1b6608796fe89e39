"""The customer page's Invoices tab, an invoice's page, the PDFs, and an issuer's drafts.

Everyone who holds ``view_billing`` on the customer sees its issued invoices, credit notes
and payments and downloads their PDFs (its own admins and the admins above it); drafts,
issuing, payments and credit notes are for the issuer's admins (``manage_billing`` on the
parent). A foreign customer or document is a 404; the PDFs are served only here, never as
static files.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import visibility
from billing.actions.credit_notes import create_credit_note
from billing.actions.invoicing import MonthlyRun, may_manage_issuer, previous_period, run_period
from billing.actions.issuing import issue_invoice, issue_period
from billing.actions.payments import balance_due, record_payment_received
from billing.forms.invoices import CreditNoteForm, PaymentReceivedForm, PeriodForm, parse_month
from billing.models import CreditNote, Invoice
from billing.views.accounts import _customer
from core.views import require, run_action, visible_or_404
from customers.models import Organisation
from customers.views.common import page_context

LIST_LIMIT = 120


def _documents(user, organisation: Organisation):
    """The customer's invoices ``user`` sees: drafts only if they manage them."""
    return visibility.invoices(user).filter(customer=organisation).order_by("-period_start")


@login_required
def invoices_tab(request, pk: int):
    """Invoices: balance due, the invoices, credit notes and payments; for the issuer's
    admins, record a payment and run a period again."""
    organisation = _customer(request, pk)
    user = request.user
    manage = visibility.may_manage(user, organisation)
    which = request.POST.get("form") if request.method == "POST" else None
    if which:
        visibility.require_managing(user, organisation)
    payment_form = PaymentReceivedForm(request.POST if which == "payment" else None)
    run_form = PeriodForm(request.POST if which == "run" else None)
    back = reverse("billing:invoices", args=[organisation.pk])
    done = None
    if which == "payment":
        done = run_action(
            request,
            lambda: record_payment_received(
                actor=user, customer=organisation, **payment_form.cleaned_data
            ),
            success=_("The payment was recorded."),
            redirect_to=back,
            form=payment_form,
        )
    elif which == "run":
        done = run_action(
            request,
            lambda: run_period(run_form.month, actor=user, customer=organisation),
            success=lambda run: (
                _("The invoice was drafted again.")
                if run.drafted
                else " ".join(run.failed.values())
                or _("Nothing to draft: no usage, or the invoice is issued already.")
            ),
            redirect_to=back,
            form=run_form,
        )
    elif which is not None:
        raise PermissionDenied
    if done:
        return done
    context = page_context(request, organisation, "invoices")
    context.update(
        {
            "manage": manage,
            "balance_due": balance_due(organisation),
            "invoices": list(_documents(user, organisation)[:LIST_LIMIT]),
            "credit_notes": list(
                visibility.credit_notes(user)
                .filter(customer=organisation)
                .select_related("invoice")[:LIST_LIMIT]
            ),
            "payments": list(visibility.payments(user).filter(customer=organisation)[:LIST_LIMIT]),
            "payment_form": payment_form if manage else None,
            "run_form": run_form if manage else None,
        }
    )
    return render(request, "billing/invoices.html", context)


def _invoice(request, organisation: Organisation, invoice_pk: int) -> Invoice:
    return visibility.invoice_for(request.user, invoice_pk, customer=organisation)


@login_required
def invoice_detail(request, pk: int, invoice_pk: int):
    """One invoice: its lines and totals; a draft can be issued, an issued one credited."""
    organisation = _customer(request, pk)
    user = request.user
    manage = visibility.may_manage(user, organisation)
    invoice = _invoice(request, organisation, invoice_pk)
    which = request.POST.get("form") if request.method == "POST" else None
    if which:
        visibility.require_managing(user, organisation)
    credit_form = CreditNoteForm(
        request.POST if which == "credit" else None, lines=invoice.lines.all()
    )
    back = reverse("billing:invoice", args=[organisation.pk, invoice.pk])
    done = None
    if which == "issue":
        done = run_action(
            request,
            lambda: issue_invoice(actor=user, invoice=invoice),
            success=lambda issued: _("Invoice %(number)s was issued.") % {"number": issued.number},
            redirect_to=back,
        )
    elif which == "credit":
        done = run_action(
            request,
            lambda: create_credit_note(
                actor=user,
                invoice=invoice,
                reason=credit_form.cleaned_data["reason"],
                amounts=credit_form.amounts(),
            ),
            success=lambda note: _("Credit note %(number)s was issued.") % {"number": note.number},
            redirect_to=back,
            form=credit_form,
        )
    elif which is not None:
        raise PermissionDenied
    if done:
        return done
    context = page_context(request, organisation, "invoices")
    context.update(
        {
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
            "credit_notes": list(invoice.credit_notes.all()),
            "manage": manage,
            "credit_form": credit_form if manage and not invoice.is_draft else None,
        }
    )
    return render(request, "billing/invoice.html", context)


def _pdf(document) -> FileResponse:
    if not document.pdf:
        raise Http404
    try:
        handle = document.pdf.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{document.number}.pdf",
        content_type="application/pdf",
    )


@login_required
def invoice_pdf(request, pk: int, invoice_pk: int):
    organisation = _customer(request, pk)
    invoice = _invoice(request, organisation, invoice_pk)
    return _pdf(invoice)


@login_required
def credit_note_pdf(request, pk: int, note_pk: int):
    organisation = _customer(request, pk)
    notes = CreditNote.objects.filter(customer=organisation)
    return _pdf(visibility.document_for(request.user, notes, note_pk))


def _not_drafted(request, run: MonthlyRun) -> None:
    """Who got no draft and why (a missing VAT rate, say): an error beside the count."""
    if not run.failed:
        return
    names = dict(Organisation.objects.filter(pk__in=run.failed).values_list("pk", "name"))
    messages.error(
        request,
        _("Not drafted: %(failures)s")
        % {"failures": "; ".join(f"{names[pk]}: {why}" for pk, why in run.failed.items())},
    )


@login_required
def drafts(request, pk: int):
    """An issuer's drafts of a period: preview them, run the period, issue them all."""
    issuer = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    if not issuer.is_reseller:
        raise Http404  # a customer bills nobody
    require(request, "manage_billing", issuer)
    user = request.user
    month = parse_month(request.GET.get("period")) or previous_period(timezone.localdate())[0]
    which = request.POST.get("form") if request.method == "POST" else None
    run_form = PeriodForm(
        request.POST if which in ("run", "issue") else None,
        initial={"period": month.strftime("%Y-%m")},
    )

    def back(_result=None) -> str:
        period = run_form.cleaned_data["period"]
        return f"{reverse('billing:drafts', args=[issuer.pk])}?period={period}"

    done = None
    if which == "run":
        done = run_action(
            request,
            lambda: run_period(run_form.month, actor=user, issuer=issuer),
            success=lambda run: (
                _("%(drafted)s invoices drafted, %(skipped)s issued already.")
                % {"drafted": run.drafted, "skipped": run.skipped}
            ),
            redirect_to=back,
            form=run_form,
            then=lambda run: _not_drafted(request, run),
        )
    elif which == "issue":
        done = run_action(
            request,
            lambda: issue_period(actor=user, issuer=issuer, day=run_form.month),
            success=lambda issued: _("%(count)s invoices were issued.") % {"count": len(issued)},
            redirect_to=back,
            form=run_form,
        )
    elif which is not None:
        raise PermissionDenied
    if done:
        return done
    rows = (
        Invoice.objects.filter(issuer=issuer, period_start=month)
        .select_related("customer")
        .order_by("customer__code")
    )
    return render(
        request,
        "billing/drafts.html",
        {
            "issuer": issuer,
            "month": month,
            "run_form": run_form,
            "invoices": list(rows[:500]),
            "may_run": may_manage_issuer(user, issuer),
        },
    )
