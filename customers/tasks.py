"""Celery tasks of the customers app: thin, scheduled by beat (``CELERY_BEAT_SCHEDULE``)."""

from __future__ import annotations

import logging

from celery import shared_task

from customers.actions.imports import expire_uploads as expire

logger = logging.getLogger("customers.tasks")


@shared_task(name="customers.expire_uploads", ignore_result=True)
def expire_uploads() -> int:
    """Erase checked uploads nobody imported in time: their rows hold people's names and
    passwords (encrypted), and must not wait for the next upload to go."""
    expired = expire()
    if expired:
        logger.info("erased %d expired upload(s)", expired)
    return expired
