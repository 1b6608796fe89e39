"""Billing suspends through the normal lifecycle (the job engine disables the AD accounts)
and resumes only what it suspended itself."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from billing.models import BillingAccount
from core.actors import SYSTEM
from customers.actions.lifecycle import can_move, resume_organisation, suspend_organisation
from customers.models import Status


@transaction.atomic
def suspend_for_billing(account: BillingAccount) -> bool:
    """Suspend the account's organisation (if it is active); remember billing did it.

    Never a Public Sector organisation, nor one with Inactive Billing: billing only warns
    them (their cutoff and expiry still show on the Billing tab and in the list)."""
    organisation = account.organisation
    if organisation.public_sector or organisation.inactive_billing:
        return False
    if organisation.status != Status.ACTIVE or not can_move(organisation, Status.SUSPENDED):
        return False
    suspend_organisation(actor=SYSTEM, organisation=organisation)
    BillingAccount.objects.filter(pk=account.pk).update(suspended_by_billing_at=timezone.now())
    return True


def is_paid_up(account: BillingAccount) -> bool:
    cut_off = account.cutoff_balance is not None and account.balance <= account.cutoff_balance
    expired = (
        account.licence_expiry_date is not None
        and account.licence_expiry_date <= timezone.localdate()
    )
    return not cut_off and not expired


@transaction.atomic
def resume_if_paid(account_id: int) -> bool:
    """After a top-up (or a new expiry date): resume what billing suspended, if nothing
    else keeps it suspended."""
    # The organisation's lock first, then the account's: the order create_user takes them.
    account = BillingAccount.objects.select_related("organisation").get(pk=account_id)
    if account.suspended_by_billing_at is None or not is_paid_up(account):
        return False
    if account.organisation.status == Status.SUSPENDED:
        resume_organisation(actor=SYSTEM, organisation=account.organisation)
    BillingAccount.objects.filter(pk=account.pk).update(suspended_by_billing_at=None)
    return True
