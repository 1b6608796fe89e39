"""The cutoff balance: what ``customers`` asks (through ``core.registry``) before it adds.

Registered in ``BillingConfig.ready``. A prepaid account with a cutoff balance refuses new
users, subscriptions and seats when its balance is at or below the cutoff; and a new seat is
refused when the balance could not pay one more day of every seat, the new ones included,
without falling below the cutoff. Accounts with Inactive Billing, postpaid accounts and
organisations without an account are never refused.

Locks: user and subscription checks only read (the caller holds the organisation's row
lock); seat checks lock the account row, after the subscription's, the same order every seat
takes, so two admins giving seats of different services at once are judged one after the
other.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.actions.provider import settings_for
from billing.models import BillingAccount, BillingMode, ExpiryAction
from billing.models.account import ZERO
from core.registry import Admission
from customers.models import UserService


def daily_units(organisation_id: int) -> Decimal:
    """What one day of the organisation's seats costs, in units."""
    return (
        UserService.objects.filter(subscription__organisation_id=organisation_id).aggregate(
            total=Sum("subscription__plan__unit_rate")
        )["total"]
        or ZERO
    )


def _check_licence(account: BillingAccount) -> None:
    expiry = account.licence_expiry_date
    if expiry is None or expiry > timezone.localdate():
        return
    if settings_for(account.organisation).expiry_action == ExpiryAction.BLOCK_USERS:
        raise ValidationError(
            _("The licence of %(name)s expired on %(date)s: no users can be added.")
            % {"name": account.organisation.name, "date": expiry},
            code="licence_expired",
        )


def admit(admission: Admission) -> None:
    organisation = admission.organisation
    if organisation.inactive_billing:
        return
    accounts = BillingAccount.objects.filter(organisation_id=organisation.pk)
    if admission.kind == Admission.SEATS:
        accounts = accounts.select_for_update()
    account = accounts.first()
    if account is None:
        return
    if admission.kind == Admission.USER:
        _check_licence(account)
    if account.billing_mode != BillingMode.PREPAID or account.cutoff_balance is None:
        return
    values = {
        "name": organisation.name,
        "balance": account.balance,
        "cutoff": account.cutoff_balance,
    }
    if account.balance <= account.cutoff_balance:
        raise ValidationError(
            _(
                "The unit balance of %(name)s is %(balance)s, at or below its cutoff balance "
                "of %(cutoff)s: no users, services or seats can be added until it is topped up."
            )
            % values,
            code="cutoff_balance",
        )
    if admission.kind != Admission.SEATS:
        return
    rate = admission.subscription.plan.unit_rate
    if not rate:
        return
    after = daily_units(organisation.pk) + rate * admission.count
    if account.balance - after < account.cutoff_balance:
        raise ValidationError(
            _(
                "The unit balance of %(name)s is %(balance)s and its cutoff balance "
                "%(cutoff)s: it cannot pay one more day of its seats with %(count)d more "
                "(%(daily)s units a day)."
            )
            % {**values, "count": admission.count, "daily": after},
            code="cutoff_balance",
        )
