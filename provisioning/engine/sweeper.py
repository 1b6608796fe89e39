"""The sweeper: no job is ever stranded by a lost message or a dead worker.

Run every minute by Celery beat (``provisioning.sweep_jobs``). A job's ``heartbeat`` is the
last sign of life: for a running job, its worker's last write; for a queued one, the last
time its run message was sent. Past ``JOB_STALE_AFTER_SECONDS`` without one:
- a running job goes back to the queue (its worker was killed or lost the database) and
  its message is sent again; the worker that runs it next starts a new attempt;
- a queued job that is due gets its message again (the broker lost it, or Redis was
  restarted), once per target: the oldest waiting job of each lock key.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from core.models import Job, JobState
from provisioning.engine import metrics, rows

logger = logging.getLogger("provisioning.engine")


def sweep_jobs() -> list[int]:
    """Re-send the messages of stranded jobs; returns their ids."""
    now = timezone.now()
    cutoff = rows.stale_before(now)
    sent: list[int] = []
    requeued: list[int] = []

    stalled = Job.objects.filter(state=JobState.RUNNING, heartbeat__lt=cutoff)
    for job_id, heartbeat, attempts in stalled.values_list("pk", "heartbeat", "attempts"):
        with transaction.atomic():
            job = Job.objects.select_for_update().filter(pk=job_id).first()
            if job is None or job.state != JobState.RUNNING or job.heartbeat != heartbeat:
                continue
            job.log = [
                *job.log,
                {
                    "at": now.isoformat(timespec="seconds"),
                    "attempt": attempts,
                    "level": "warning",
                    "message": "The worker running this job stopped answering; "
                    "the job is queued again.",
                },
            ]
            job.state = JobState.QUEUED
            job.worker = ""
            job.heartbeat = now
            job.save(update_fields=["log", "state", "worker", "heartbeat"])
        requeued.append(job_id)
        metrics.JOB_ABANDONED.labels(kind=job.kind).inc()
        logger.warning("job %s: worker stopped answering, re-queued", job_id)

    older_waiting = Job.objects.filter(
        lock_key=OuterRef("lock_key"), state=JobState.QUEUED, pk__lt=OuterRef("pk")
    )
    last_sign = Greatest(
        Coalesce("heartbeat", "created"), Coalesce("run_after", "created"), "created"
    )
    forgotten = (
        Job.objects.filter(state=JobState.QUEUED)
        .filter(Q(run_after__isnull=True) | Q(run_after__lte=now))
        .alias(last_sign=last_sign)
        .filter(Q(last_sign__lt=cutoff) | Q(pk__in=requeued))
        .exclude(Exists(older_waiting))
        .order_by("pk")
    )
    for job_id in forgotten.values_list("pk", flat=True):
        if Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(heartbeat=now) == 1:
            rows.send(job_id)
            sent.append(job_id)
    if sent:
        logger.info("sweeper re-sent %d job message(s): %s", len(sent), sent)
    return sent
