"""Celery tasks: thin. Each takes ids (or nothing), and calls the engine or a service."""

from __future__ import annotations

import logging

from celery import shared_task

from customers.actions.lifecycle import purge_deleted_organisations as purge
from provisioning.actions import reconcile
from provisioning.engine import runner, sweeper

logger = logging.getLogger("provisioning.tasks")


@shared_task(name="provisioning.run_job", ignore_result=True)
def run_job(job_id: int) -> str:
    """Run job ``job_id`` (the message carries nothing else; the row is the truth)."""
    return runner.run_job(job_id)


@shared_task(name="provisioning.sweep_jobs", ignore_result=True)
def sweep_jobs() -> list[int]:
    """Re-send jobs stranded by a lost message or a dead worker."""
    return sweeper.sweep_jobs()


@shared_task(name="provisioning.reconcile_all", ignore_result=True)
def reconcile_all(repair: bool = False) -> dict[str, int]:
    """Compare every provisioned organisation with the directory; log the drift found
    (and start repair jobs when ``repair``)."""
    return reconcile.reconcile_all(repair=repair)


@shared_task(name="provisioning.purge_deleted_organisations", ignore_result=True)
def purge_deleted_organisations() -> int:
    purged = purge()
    if purged:
        logger.info("purged %d deleted organisation(s)", purged)
    return purged
