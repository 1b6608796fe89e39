"""Starting jobs: the row first, the broker message on commit."""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.db import transaction

from customers.models import Organisation, User
from provisioning.models import Job

RUN_JOB_TASK = "provisioning.run_job"


def send_run_message(job_id: int, countdown: float | None = None) -> None:
    """Tell a worker to run job ``job_id``; the message carries nothing but the id."""
    current_app.send_task(RUN_JOB_TASK, args=[job_id], countdown=countdown)


def enqueue_job(
    *,
    kind: str,
    organisation: Organisation | None,
    actor: User | None,
    payload: dict[str, Any] | None = None,
    user: User | None = None,
    secret: str = "",
    lock_key: str | None = None,
    target_label: str | None = None,
) -> Job:
    """Record a job and send its message once the surrounding transaction commits.

    If the transaction rolls back, neither the row nor the message exist; if the message is
    lost after commit, the sweeper finds the queued row and sends it again.
    """
    if lock_key is None:
        lock_key = f"org:{organisation.pk}" if organisation is not None else f"user:{user.pk}"
    job = Job.objects.create(
        kind=kind,
        organisation=organisation,
        user=user,
        target_label=target_label or str(user or organisation),
        lock_key=lock_key,
        payload=payload or {},
        secret=secret,
        started_by=actor,
    )
    transaction.on_commit(lambda: send_run_message(job.pk))
    return job
