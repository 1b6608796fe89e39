"""The daily checks that are not debits: licence reminders and expiry, and the cutoff's
grace period. Each is safe to run again: a reminder is recorded once per (expiry date,
days before), a suspension only touches an active organisation."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from billing.actions.provider import settings_for
from billing.actions.quotas import QuotaUse, consumed_in
from billing.actions.suspension import suspend_for_billing
from billing.actions.warnings import mail_language, recipients
from billing.models import (
    BillingAccount,
    CreditQuota,
    CutoffAction,
    ExpiryAction,
    LicenceReminder,
)
from core.mail import queue_email

REMINDER_DAYS = (30, 7, 1)


@dataclass
class DailyChecks:
    reminders: list[tuple[int, int]] = field(default_factory=list)  # (account, days before)
    quota_warnings: list[tuple[int, int]] = field(default_factory=list)  # (quota, percent)
    suspended: list[int] = field(default_factory=list)


def _remind(account: BillingAccount, days_left: int) -> int | None:
    """The reminder due ``days_left`` before expiry (the nearest of 30, 7, 1 not yet sent):
    recorded, then sent once the record is committed."""
    due = [d for d in REMINDER_DAYS if days_left <= d]
    if not due:
        return None
    nearest = min(due)
    expiry = account.licence_expiry_date
    with transaction.atomic():
        _reminder, created = LicenceReminder.objects.get_or_create(
            account=account, expiry_date=expiry, days_before=nearest
        )
        if not created:
            return None
        # The reminders before it count as sent: a date set 5 days ahead gets the 7-day
        # reminder, not the 30-day one as well.
        LicenceReminder.objects.bulk_create(
            [LicenceReminder(account=account, expiry_date=expiry, days_before=d) for d in due],
            ignore_conflicts=True,
        )
    to = recipients(account)
    if to:
        values = {"name": account.organisation.name, "date": expiry, "days": days_left}
        with translation.override(mail_language(account.organisation)):
            values["date"] = date_format(expiry)
            queue_email(
                subject=_("%(name)s: licence expires on %(date)s") % values,
                body=_("The licence of %(name)s expires on %(date)s, in %(days)d days.") % values,
                to=to,
                kind="licence_reminder",
            )
    return nearest


def _warn_quotas(today: datetime.date, done: DailyChecks) -> None:
    """Today's quotas: an e-mail when consumption first reaches 80%, and again at 100%."""
    current = CreditQuota.objects.filter(
        effective_date__lte=today, end_date__gte=today, warned_percent__lt=100
    ).select_related("account__organisation")
    for quota in current:
        use = QuotaUse(quota, consumed_in(quota))
        if use.warning is None or use.warning <= quota.warned_percent:
            continue
        claimed = CreditQuota.objects.filter(pk=quota.pk, warned_percent__lt=use.warning).update(
            warned_percent=use.warning
        )
        if not claimed:
            continue  # another run sent it
        done.quota_warnings.append((quota.pk, use.warning))
        to = recipients(quota.account)
        if to:
            with translation.override(mail_language(quota.account.organisation)):
                values = {
                    "name": quota.account.organisation.name,
                    "percent": use.warning,
                    "consumed": use.consumed,
                    "amount": quota.amount,
                    "end": date_format(quota.end_date),
                }
                queue_email(
                    subject=_("%(name)s: %(percent)d%% of the credit quota used") % values,
                    body=_(
                        "%(name)s has consumed %(consumed)s of its credit quota of %(amount)s "
                        "units, which ends on %(end)s."
                    )
                    % values,
                    to=to,
                    kind="credit_quota",
                )


def run_daily_checks(today: datetime.date, *, actor: Any) -> DailyChecks:
    """Reminders 30, 7 and 1 days before licence expiry; on expiry and after the cutoff's
    grace period, what the provider's settings say."""
    del actor  # the portal's own schedule (SYSTEM)
    done = DailyChecks()
    expiring = BillingAccount.objects.filter(
        licence_expiry_date__isnull=False,
        licence_expiry_date__lte=today + datetime.timedelta(days=max(REMINDER_DAYS)),
    ).select_related("organisation")
    for account in expiring:
        days_left = (account.licence_expiry_date - today).days
        if days_left > 0:
            sent = _remind(account, days_left)
            if sent:
                done.reminders.append((account.pk, sent))
        elif settings_for(
            account.organisation
        ).expiry_action == ExpiryAction.SUSPEND and suspend_for_billing(account):
            done.suspended.append(account.pk)
    _warn_quotas(today, done)
    now = timezone.now()
    cut_off = BillingAccount.objects.filter(
        cut_off_since__isnull=False, organisation__inactive_billing=False
    ).select_related("organisation")
    for account in cut_off:
        rules = settings_for(account.organisation)
        grace = datetime.timedelta(days=rules.cutoff_grace_days)
        if (
            rules.cutoff_action == CutoffAction.SUSPEND
            and account.cut_off_since + grace <= now
            and suspend_for_billing(account)
        ):
            done.suspended.append(account.pk)
    return done
