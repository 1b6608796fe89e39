"""Celery tasks of the customers app: thin, scheduled by beat (``CELERY_BEAT_SCHEDULE``),
each calling an action."""

from __future__ import annotations

import logging

from celery import shared_task

from customers.actions import webhooks
from customers.actions.imports import expire_uploads as expire
from customers.actions.imports import import_queued, requeue_stale_imports
from customers.actions.joiners import apply_schedules
from customers.actions.verification import check_pending_domains as check_pending

logger = logging.getLogger("customers.tasks")


@shared_task(name="customers.expire_uploads", ignore_result=True)
def expire_uploads() -> int:
    """Erase checked uploads nobody imported in time: their rows hold people's names and
    passwords (encrypted), and must not wait for the next upload to go."""
    expired = expire()
    if expired:
        logger.info("erased %d expired upload(s)", expired)
    return expired


@shared_task(name="customers.check_pending_domains", ignore_result=True)
def check_pending_domains() -> dict[str, int]:
    """Look for the DNS TXT record of every domain not verified yet."""
    return check_pending()


@shared_task(name="customers.import_users", ignore_result=True)
def import_users(user_import_id: int) -> None:
    """Create the users of an upload someone chose to import (``queue_import``)."""
    import_queued(user_import_id)


@shared_task(name="customers.requeue_stale_imports", ignore_result=True)
def requeue_imports() -> int:
    return requeue_stale_imports()


@shared_task(name="customers.deliver_webhook", ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    """One attempt at a webhook delivery; a failure schedules the next with backoff."""
    webhooks.deliver(delivery_id)


@shared_task(name="customers.sweep_webhook_deliveries", ignore_result=True)
def sweep_webhook_deliveries() -> int:
    """Send again the deliveries whose message was lost."""
    return webhooks.sweep_deliveries()


@shared_task(name="customers.purge_webhook_deliveries", ignore_result=True)
def purge_webhook_deliveries() -> int:
    """Forget deliveries older than WEBHOOK_DELIVERY_RETENTION_DAYS."""
    purged = webhooks.purge_deliveries()
    if purged:
        logger.info("purged %d old webhook deliveries", purged)
    return purged


@shared_task(name="customers.joiners_and_leavers", ignore_result=True)
def joiners_and_leavers() -> dict[str, int]:
    """Apply start and end dates that have come (hourly; idempotent)."""
    applied = apply_schedules()
    return {"started": applied.started, "left": applied.left, "removed": applied.removed}
