"""The customer page's Billing and Units tabs, and the ledger's CSV export.

Everyone who holds ``view_billing`` on the customer sees them (its own admins, and the admins
above it); only the parent's admins (``manage_billing`` one level up) change anything: a
POST from anyone else is a 403, an organisation out of reach a 404.
"""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.actions.accounts import (
    PROFILE_FIELDS,
    account_for,
    issuer_currency,
    may_manage,
    update_profile,
)
from billing.actions.ledger import adjust_units
from billing.actions.offers import add_offer, offers_for, record_payment
from billing.actions.provider import (
    provider_of,
    save_settings,
    set_storage_regions,
    settings_for,
)
from billing.actions.quotas import quota_use, set_credit_quota
from billing.forms import (
    AddOfferForm,
    AdjustUnitsForm,
    BillingSettingsForm,
    CreditQuotaForm,
    PaymentForm,
    ProfileForm,
)
from billing.models import BillingAccount, Purchase, PurchaseState, StorageRegion, Transaction
from billing.visibility import billing_customer
from core.scoping import has_permission
from core.views import run_action
from customers.models import Organisation
from customers.views.common import page_context
from customers.views.export import _cell

LEDGER_PAGE = 50
QUOTA_HISTORY = 20
# ?sort= values of the ledger table and what they order by.
LEDGER_SORTS = {
    "created": ("created", "pk"),
    "-created": ("-created", "-pk"),
    "amount": ("amount", "pk"),
    "-amount": ("-amount", "-pk"),
    "type": ("transaction_type", "-created", "-pk"),
    "-type": ("-transaction_type", "-created", "-pk"),
}


def _customer(request, pk: int) -> Organisation:
    """The customer whose billing tab this is, by the one billing rule (billing.visibility)."""
    return billing_customer(request.user, pk)


def _account(organisation: Organisation) -> BillingAccount:
    """The account, or an unsaved one to show (a GET writes nothing)."""
    account = (
        BillingAccount.objects.select_related("product_offer")
        .filter(organisation=organisation)
        .first()
    )
    if account is None:
        account = BillingAccount(organisation=organisation, currency=issuer_currency(organisation))
    account.organisation = organisation
    return account


def _require_manage(request, organisation: Organisation) -> BillingAccount:
    if not may_manage(request.user, organisation):
        raise PermissionDenied(_("Only the admins above this customer manage its account."))
    account = account_for(organisation)
    account.organisation = organisation
    return account


@login_required
def account_tab(request, pk: int):
    """Billing: the profile (Flexiant's Configuration), balance, warn level and cutoff, the
    credit quota and its history, the licence expiry; on the provider's own page, the
    provider's billing settings."""
    organisation = _customer(request, pk)
    user = request.user
    manage = may_manage(user, organisation)
    which = request.POST.get("form", "profile") if request.method == "POST" else None
    settings_here = organisation.is_provider and has_permission(
        user, "manage_billing", organisation
    )
    if which == "settings":
        if not settings_here:
            raise PermissionDenied
        account = _account(organisation)
    elif which:
        account = _require_manage(request, organisation)
    else:
        account = _account(organisation)
    provider = provider_of(organisation)
    provider_settings = settings_for(provider)
    form = ProfileForm(
        request.POST if which == "profile" else None,
        instance=account,
        offers=offers_for(account),
        regions=StorageRegion.objects.filter(provider=provider),
        default_terms=provider_settings.payment_terms_days,
        read_only=not manage,
    )
    quota_form = CreditQuotaForm(request.POST if which == "quota" else None)
    rules = provider_settings if settings_here else None
    settings_form = (
        BillingSettingsForm(
            request.POST if which == "settings" else None,
            instance=rules,
            regions=StorageRegion.objects.filter(provider=organisation).values_list(
                "name", flat=True
            ),
        )
        if settings_here
        else None
    )
    back = reverse("billing:account", args=[organisation.pk])
    done = None
    if which == "profile":
        done = run_action(
            request,
            lambda: update_profile(
                actor=user,
                account=account,
                changes={name: form.cleaned_data[name] for name in PROFILE_FIELDS},
            ),
            success=_("The billing profile of %(name)s was saved.") % {"name": organisation.name},
            redirect_to=back,
            form=form,
        )
    elif which == "quota":
        done = run_action(
            request,
            lambda: set_credit_quota(actor=user, account=account, **quota_form.cleaned_data),
            success=_("The credit quota was set."),
            redirect_to=back,
            form=quota_form,
        )
    elif which == "settings":
        done = run_action(
            request,
            lambda: _save_provider_settings(user, organisation, settings_form),
            success=_("The billing settings were saved."),
            redirect_to=back,
            form=settings_form,
        )
    elif which is not None:
        raise PermissionDenied
    if done:
        return done
    context = page_context(request, organisation, "billing")
    context.update(
        {
            "account": account,
            "form": form,
            "quota_form": quota_form if manage else None,
            "settings_form": settings_form,
            "manage": manage,
            "address": account.billing_address(),
            "quota_use": quota_use(account),
            "quotas": list(account.quotas.all()[:QUOTA_HISTORY]) if account.pk else [],
            "may_offers": organisation.is_reseller
            and has_permission(user, "manage_billing", organisation),
        }
    )
    return render(request, "billing/account.html", context)


@transaction.atomic
def _save_provider_settings(user, provider: Organisation, form) -> None:
    save_settings(actor=user, settings=form.instance)
    set_storage_regions(actor=user, provider=provider, names=form.cleaned_data["regions"])


def _sorted_ledger(request, account: BillingAccount):
    sort = request.GET.get("sort", "-created")
    if sort not in LEDGER_SORTS:
        sort = "-created"
    rows = Transaction.objects.filter(account=account) if account.pk else Transaction.objects.none()
    return sort, rows.order_by(*LEDGER_SORTS[sort])


@login_required
def units_tab(request, pk: int):
    """Units: add a product offer, credit or debit units, payments due, and the ledger."""
    organisation = _customer(request, pk)
    manage = may_manage(request.user, organisation)
    which = request.POST.get("form") if request.method == "POST" else None
    account = _require_manage(request, organisation) if which else _account(organisation)
    offers = offers_for(account) if manage else None
    offer_form = AddOfferForm(request.POST if which == "offer" else None, offers=offers)
    adjust_form = AdjustUnitsForm(request.POST if which == "adjust" else None)
    back = reverse("billing:units", args=[organisation.pk])
    done = None
    if which == "offer":
        done = run_action(
            request,
            lambda: add_offer(
                actor=request.user,
                account=account,
                offer=offer_form.cleaned_data["offer"],
                description=offer_form.cleaned_data["description"],
            ),
            success=lambda purchase: (
                (
                    _("%(offer)s was added and its units credited.")
                    if purchase.state != PurchaseState.AWAITING_PAYMENT
                    else _(
                        "%(offer)s was added; its units are credited once the payment is recorded."
                    )
                )
                % {"offer": purchase.offer.name}
            ),
            redirect_to=back,
            form=offer_form,
        )
    elif which == "adjust":
        done = run_action(
            request,
            lambda: adjust_units(
                actor=request.user,
                account=account,
                transaction_type=adjust_form.cleaned_data["transaction_type"],
                units=adjust_form.cleaned_data["units"],
                description=adjust_form.cleaned_data["description"],
            ),
            success=lambda row: (
                _("%(type)s of %(units)s units recorded; the balance is %(balance)s.")
                % {
                    "type": row.get_transaction_type_display(),
                    "units": row.amount,
                    "balance": row.balance_after,
                }
            ),
            redirect_to=back,
            form=adjust_form,
        )
    elif which is not None:
        raise PermissionDenied
    if done:
        return done
    sort, ledger = _sorted_ledger(request, account)
    page = Paginator(ledger.select_related("actor"), LEDGER_PAGE).get_page(request.GET.get("page"))
    purchases = []
    if account.pk:
        purchases = list(
            Purchase.objects.filter(account=account)
            .exclude(state=PurchaseState.PAID)
            .select_related("offer")
        )
    context = page_context(request, organisation, "units")
    context.update(
        {
            "account": account,
            "manage": manage,
            "offer_form": offer_form if manage else None,
            "adjust_form": adjust_form if manage else None,
            "payment_form": PaymentForm() if manage else None,
            "purchases": purchases,
            "page": page,
            "sort": sort,
        }
    )
    return render(request, "billing/units.html", context)


@login_required
@require_POST
def purchase_paid(request, pk: int, purchase_pk: int):
    """Record the payment of a purchase (POST): its units are credited if they waited."""
    organisation = _customer(request, pk)
    account = _require_manage(request, organisation)
    purchase = get_object_or_404(Purchase, pk=purchase_pk, account=account)
    form = PaymentForm(request.POST)
    reference = form.cleaned_data["reference"] if form.is_valid() else ""
    return run_action(
        request,
        lambda: record_payment(actor=request.user, purchase=purchase, reference=reference),
        success=_("The payment was recorded."),
        redirect_to=reverse("billing:units", args=[organisation.pk]),
    )


class _Echo:
    def write(self, value):
        return value


@login_required
def ledger_export(request, pk: int):
    """The ledger as CSV, in the order the table shows it."""
    organisation = _customer(request, pk)
    account = _account(organisation)
    _sort, ledger = _sorted_ledger(request, account)
    header = [
        _("Time"),
        _("Transaction Type"),
        _("Units"),
        _("Balance after"),
        _("Cause"),
        _("Description"),
        _("By"),
    ]
    rows = ledger.values_list(
        "created",
        "transaction_type",
        "amount",
        "balance_after",
        "cause",
        "description",
        "actor__username",
    )
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for created, kind, amount, after, cause, description, actor in rows.iterator():
            yield writer.writerow(
                [
                    timezone.localtime(created).isoformat(timespec="seconds"),
                    kind,
                    amount,
                    after,
                    cause,
                    _cell(description),
                    actor or _("System"),
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ledger-{organisation.code}.csv"'
    return response
