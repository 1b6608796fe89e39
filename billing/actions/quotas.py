"""Druva's credit quota: an amount of units to consume between a Quota Effective Date and a
Quota End Date. Setting one adds a row (the others are its history); consumption is what
the account was debited inside the window; the quota warns at 80% and at 100%."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.actions.accounts import require_manage
from billing.actions.ledger import as_units
from billing.models import BillingAccount, Cause, CreditQuota, Transaction, TransactionType
from billing.models.account import ZERO
from core.actors import recorded_user

WARN_AT = (Decimal("80"), Decimal("100"))


@dataclass(frozen=True)
class QuotaUse:
    quota: CreditQuota
    consumed: Decimal

    @property
    def percent(self) -> Decimal:
        return (self.consumed * 100 / self.quota.amount).quantize(Decimal("0.1"))

    @property
    def warning(self) -> int | None:
        """100 or 80 when the consumption reached that share of the quota, else None."""
        for level in sorted(WARN_AT, reverse=True):
            if self.percent >= level:
                return int(level)
        return None


@transaction.atomic
def set_credit_quota(
    *,
    actor: Any,
    account: BillingAccount,
    amount: Any,
    effective_date: datetime.date,
    end_date: datetime.date,
) -> CreditQuota:
    require_manage(actor, account.organisation)
    if end_date < effective_date:
        raise ValidationError(
            {"end_date": _("The Quota End Date must not be before the Quota Effective Date.")}
        )
    quota = CreditQuota(
        account=account,
        amount=as_units(amount, "amount"),
        effective_date=effective_date,
        end_date=end_date,
        actor=recorded_user(actor),
    )
    quota.full_clean()
    quota.save()
    return quota


def current_quota(account: BillingAccount, today: datetime.date | None = None):
    today = today or timezone.localdate()
    if account.pk is None:
        return None
    return (
        CreditQuota.objects.filter(account=account, effective_date__lte=today, end_date__gte=today)
        .order_by("-effective_date", "-pk")
        .first()
    )


def consumed_in(quota: CreditQuota) -> Decimal:
    """Debits inside the quota's window: daily usage by the day it paid for, the others by
    the day they were written."""
    window = Q(cause=Cause.DAILY_USAGE, usage_day__range=(quota.effective_date, quota.end_date))
    window |= ~Q(cause=Cause.DAILY_USAGE) & Q(
        created__date__range=(quota.effective_date, quota.end_date)
    )
    return (
        Transaction.objects.filter(
            window, account_id=quota.account_id, transaction_type=TransactionType.DEBIT
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )


def quota_use(account: BillingAccount, today: datetime.date | None = None) -> QuotaUse | None:
    quota = current_quota(account, today)
    return QuotaUse(quota, consumed_in(quota)) if quota else None
