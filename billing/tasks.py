"""Celery tasks of the billing app: thin, scheduled by beat (``CELERY_BEAT_SCHEDULE``)."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from billing.actions.invoicing import previous_period, run_period
from billing.actions.licences import run_daily_checks
from billing.actions.payments import mark_overdue, send_reminder
from billing.actions.reports import queue_monthly_reports
from billing.actions.reports import send_report as send_report_file
from billing.actions.usage import run_daily_usage
from core.actors import SYSTEM

logger = logging.getLogger("billing.tasks")


@shared_task(name="billing.daily_usage", ignore_result=True)
def daily_usage(day: str | None = None) -> dict[str, object]:
    """Debit yesterday's seat-days (or ``day``, ISO): safe to run again, it resumes."""
    when = (
        datetime.date.fromisoformat(day)
        if day
        else timezone.localdate() - datetime.timedelta(days=1)
    )
    run = run_daily_usage(when, actor=SYSTEM, batch=settings.BILLING_DAILY_BATCH)
    logger.info(
        "daily usage %s: %d snapshots, %d debits on %d accounts, %s units",
        when,
        run.snapshots,
        run.debits,
        run.accounts,
        run.units,
    )
    return {"day": when.isoformat(), "debits": run.debits, "units": str(run.units)}


@shared_task(name="billing.daily_checks", ignore_result=True)
def daily_checks() -> dict[str, int]:
    """Licence reminders and expiry, suspensions after the cutoff's grace period, and overdue
    invoices (one reminder each)."""
    today = timezone.localdate()
    done = run_daily_checks(today, actor=SYSTEM)
    overdue = mark_overdue(today, actor=SYSTEM)
    return {
        "reminders": len(done.reminders),
        "suspended": len(done.suspended),
        "overdue_reminders": len(overdue),
    }


@shared_task(name="billing.monthly_reports", ignore_result=True)
def monthly_reports() -> dict[str, object]:
    """On the 1st: queue every report subscription's e-mail for the month before."""
    run = queue_monthly_reports(timezone.localdate(), actor=SYSTEM)
    logger.info("monthly reports for %s: %d queued", run.period, len(run.queued))
    return {"period": run.period.start.isoformat(), "queued": len(run.queued)}


@shared_task(name="billing.send_report", ignore_result=True)
def send_report(subscription_id: int, period_start: str) -> bool:
    """Build one subscription's report file and queue its e-mail
    (``billing.actions.reports.send_report``); ``core.send_email`` sends it and retries."""
    return send_report_file(subscription_id, datetime.date.fromisoformat(period_start))


@shared_task(name="billing.monthly_invoices", ignore_result=True)
def monthly_invoices(day: str | None = None) -> dict[str, object]:
    """Draft last month's invoices (or those of the month holding ``day``, ISO): safe to run
    again, it resumes and leaves issued invoices alone."""
    when = datetime.date.fromisoformat(day) if day else previous_period(timezone.localdate())[0]
    run = run_period(when, actor=SYSTEM, batch=settings.BILLING_INVOICE_BATCH)
    logger.info(
        "monthly invoices %s: %d drafted, %d skipped, %d failed",
        run.period_start,
        run.drafted,
        run.skipped,
        len(run.failed),
    )
    return {"period": run.period_start.isoformat(), "drafted": run.drafted}


@shared_task(name="billing.invoice_reminder", ignore_result=True)
def invoice_reminder(invoice_id: int) -> bool:
    """The overdue invoice's reminder e-mail (sent once: ``mark_overdue`` marks it)."""
    return send_reminder(invoice_id)
