"""Credits and debits: the ledger row and the balance change in one transaction.

``post`` is the one place that writes either. It locks the account row
(``SELECT ... FOR UPDATE``), adds the ledger row and moves the balance by the same amount, so
concurrent writers are serialised and ``balance == sum(ledger)`` always holds.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from billing.actions.accounts import require_manage
from billing.actions.warnings import after_balance_change
from billing.models import BillingAccount, Cause, Transaction, TransactionType
from core.actors import recorded_user

MAX_UNITS = Decimal("999999999999.99")


def as_units(value: Any, field: str = "units") -> Decimal:
    try:
        units = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a number of units.")}) from None
    if units <= 0:
        raise ValidationError({field: _("Enter a number of units above zero.")})
    if units > MAX_UNITS:
        raise ValidationError({field: _("That is more units than an account can hold.")})
    return units


def lock_account(account: BillingAccount) -> BillingAccount:
    return (
        BillingAccount.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=account.pk)
    )


def post(
    *,
    account: BillingAccount,
    transaction_type: str,
    amount: Decimal,
    description: str,
    cause: str,
    actor: Any,
    **refs: Any,
) -> Transaction:
    """Write one ledger row and move the balance by it (no permission check: the callers,
    actions and the daily run, have made theirs)."""
    amount = as_units(amount)
    with transaction.atomic():
        locked = lock_account(account)
        before = locked.balance
        signed = amount if transaction_type == TransactionType.CREDIT else -amount
        locked.balance = before + signed
        BillingAccount.objects.filter(pk=locked.pk).update(balance=F("balance") + signed)
        row = Transaction.objects.create(
            account=locked,
            transaction_type=transaction_type,
            amount=amount,
            description=description[:300],
            cause=cause,
            actor=recorded_user(actor),
            balance_after=locked.balance,
            **refs,
        )
        after_balance_change(locked, before)
    account.balance = locked.balance
    return row


@transaction.atomic
def adjust_units(
    *,
    actor: Any,
    account: BillingAccount,
    transaction_type: str,
    units: Any,
    description: str,
) -> Transaction:
    """Credit or debit an arbitrary number of units (Flexiant's Units sub-tab)."""
    require_manage(actor, account.organisation)
    if transaction_type not in TransactionType.values:
        raise ValidationError({"transaction_type": _("Choose credit or debit.")})
    if not description.strip():
        raise ValidationError({"description": _("Enter a description.")})
    return post(
        account=account,
        transaction_type=transaction_type,
        amount=as_units(units),
        description=description.strip(),
        cause=Cause.MANUAL,
        actor=actor,
    )


def credit(*, actor: Any, account: BillingAccount, units: Any, description: str) -> Transaction:
    return adjust_units(
        actor=actor,
        account=account,
        transaction_type=TransactionType.CREDIT,
        units=units,
        description=description,
    )


def debit(*, actor: Any, account: BillingAccount, units: Any, description: str) -> Transaction:
    return adjust_units(
        actor=actor,
        account=account,
        transaction_type=TransactionType.DEBIT,
        units=units,
        description=description,
    )
