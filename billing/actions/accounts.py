"""Billing accounts and their profile."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from billing.actions.provider import provider_of
from billing.actions.suspension import resume_if_paid
from billing.models import BillingAccount
from core.scoping import decider, may_decide
from customers.models import Organisation

# What the billing profile form may change; the balance changes only through the ledger.
PROFILE_FIELDS = [
    "product_offer",
    "address",
    "city",
    "state",
    "zip_code",
    "country",
    "tax_country",
    "vat_number",
    "tax_exempt",
    "tax_exemption_reason",
    "payment_terms_days",
    "credit_customer",
    "unit_warn_level",
    "cutoff_balance",
    "billing_mode",
    "currency",
    "licence_expiry_date",
    "storage_region",
]


def issuer_currency(organisation: Organisation) -> str:
    """The issuer's currency: the one its own account is kept in, or the installation's."""
    parent = organisation.parent
    if parent is not None:
        own = BillingAccount.objects.filter(organisation=parent).values_list("currency", flat=True)
        for currency in own:
            return currency
    return settings.BILLING_CURRENCY


def account_for(organisation: Organisation) -> BillingAccount:
    """The organisation's account, opened (empty, prepaid, in the issuer's currency) on
    first use."""
    account = BillingAccount.objects.filter(organisation=organisation).first()
    if account is not None:
        return account
    with transaction.atomic():
        account, _created = BillingAccount.objects.get_or_create(
            organisation=organisation,
            defaults={"currency": issuer_currency(organisation)},
        )
    return account


def may_manage(actor: Any, organisation: Organisation) -> bool:
    """The parent's admins manage an account (the provider its own)."""
    return may_decide(actor, organisation, "manage_billing")


def require_manage(actor: Any, organisation: Organisation) -> None:
    if not may_manage(actor, organisation):
        raise PermissionDenied(
            _("Only the admins of %(issuer)s manage this billing account.")
            % {"issuer": decider(organisation).name}
        )


@transaction.atomic
def update_profile(
    *, actor: Any, account: BillingAccount, changes: dict[str, Any]
) -> BillingAccount:
    """Change the billing profile (Flexiant's Configuration): validated, under the row lock."""
    require_manage(actor, account.organisation)
    locked = (
        BillingAccount.objects.select_for_update().select_related("organisation").get(pk=account.pk)
    )
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"Not profile fields: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(locked, name, value)
    offer = locked.product_offer
    if offer is not None and offer.issuer_id != decider(locked.organisation).pk:
        raise ValidationError({"product_offer": _("Choose an offer of the account's issuer.")})
    region = locked.storage_region
    if region is not None and region.provider_id != provider_of(locked.organisation).pk:
        raise ValidationError({"storage_region": _("Choose a region of the provider.")})
    locked.full_clean()
    locked.save()
    if locked.suspended_by_billing_at is not None:
        # A new licence date or a lower cutoff may end what billing suspended.
        transaction.on_commit(partial(resume_if_paid, locked.pk))
    return locked
