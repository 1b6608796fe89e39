"""The provider's billing settings: what happens after the cutoff's grace period and on
licence expiry, and the default payment terms, for every account in its tree."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import BillingAccount, BillingSettings, StorageRegion
from core.actors import save_recorded
from core.scoping import forest_of, has_permission
from customers.models import Organisation


def provider_of(organisation: Organisation) -> Organisation:
    if organisation.parent_id is None:
        return organisation
    return Organisation.objects.get(tree_id=forest_of(organisation.tree_id))


def settings_for(organisation: Organisation) -> BillingSettings:
    """The settings of ``organisation``'s provider (the defaults until it saves its own)."""
    provider = provider_of(organisation)
    found = BillingSettings.objects.filter(provider=provider).first()
    return found or BillingSettings(provider=provider)


def payment_terms(organisation: Organisation, account: BillingAccount | None) -> int:
    """Days from issue to due of ``organisation``'s invoices: its account's own terms, else
    its provider's default (30 days until the provider sets one)."""
    if account is not None and account.payment_terms_days is not None:
        return account.payment_terms_days
    return settings_for(organisation).payment_terms_days


def save_settings(*, actor: Any, settings: BillingSettings) -> BillingSettings:
    if not has_permission(actor, "manage_billing", settings.provider):
        raise PermissionDenied(_("Only the provider's admins change its billing settings."))
    existing = BillingSettings.objects.filter(provider=settings.provider).first()
    if existing is not None and settings.pk is None:
        settings.pk = existing.pk
        settings._state.adding = False
    return save_recorded(settings, actor=actor)


@transaction.atomic
def set_storage_regions(*, actor: Any, provider: Organisation, names: list[str]) -> None:
    """The provider's Storage Regions become exactly ``names`` (accounts placed in a region
    that goes lose their placement)."""
    if not has_permission(actor, "manage_billing", provider) or provider.parent_id is not None:
        raise PermissionDenied(_("Only the provider's admins define its storage regions."))
    wanted = {name.strip(): None for name in names if name.strip()}
    if any(len(name) > 100 for name in wanted):
        raise ValidationError({"regions": _("A region name has at most 100 characters.")})
    StorageRegion.objects.filter(provider=provider).exclude(name__in=wanted).delete()
    StorageRegion.objects.bulk_create(
        [StorageRegion(provider=provider, name=name) for name in wanted], ignore_conflicts=True
    )
