"""Celery tasks: thin. Each takes ids (or nothing), and calls the engine or a service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from core.actors import SYSTEM
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
def reconcile_all() -> list[int]:
    """The periodic reconcile: one task per provider, so one large provider's tree does not
    hold up the others' (each queues reconcile jobs, in ``RECONCILE_MODE``)."""
    providers = list(reconcile.providers_to_reconcile().values_list("pk", flat=True))
    for provider_id in providers:
        reconcile_provider.delay(provider_id)
    return providers


@shared_task(name="provisioning.reconcile_provider", ignore_result=True)
def reconcile_provider(provider_id: int) -> int:
    """Queue a reconcile job for each provisioned organisation of one provider."""
    provider = reconcile.providers_to_reconcile().filter(pk=provider_id).first()
    if provider is None:
        return 0
    return reconcile.request_reconciles(
        actor=SYSTEM, provider=provider, mode=settings.RECONCILE_MODE
    )


@shared_task(name="provisioning.purge_deleted_organisations", ignore_result=True)
def purge_deleted_organisations() -> int:
    purged = purge()
    if purged:
        logger.info("purged %d deleted organisation(s)", purged)
    return purged
