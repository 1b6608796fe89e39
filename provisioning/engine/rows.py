"""Every change to a job row the engine makes, each a conditional update.

A worker owns a running job through its *claim*: the worker id and the attempt number it
wrote when it claimed the job. Every later write is ``UPDATE ... WHERE state='running' AND
worker=<me> AND attempts=<my attempt>``; when that changes no row, the job was taken over
(the sweeper re-queued it after the heartbeat stopped) and this worker must stop.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.jobs import send_run_message
from core.models import Job, JobState
from provisioning.engine.errors import LostClaim


def worker_id() -> str:
    """Who is running a job, for people and for the claim: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Claim:
    """Proof that this worker runs this attempt of the job."""

    job_id: int
    worker: str
    attempt: int
    lock_key: str

    def mine(self):
        return Job.objects.filter(
            pk=self.job_id, state=JobState.RUNNING, worker=self.worker, attempts=self.attempt
        )


def stale_before(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS)


def _waits_for_older_job():
    """An older job with the same lock key still waits: jobs for one target run in order."""
    return Exists(
        Job.objects.filter(
            lock_key=OuterRef("lock_key"), state=JobState.QUEUED, pk__lt=OuterRef("pk")
        )
    )


def claim(job_id: int, worker: str) -> Claim | None:
    """Take job ``job_id`` for this worker, or None if it is not ours to run now.

    One conditional UPDATE that changes exactly one row or none: the job must be queued
    and due (or running with a heartbeat older than ``JOB_STALE_AFTER_SECONDS``: its worker
    died), and no older job for the same target may be waiting. The partial unique index
    ``one_running_job_per_lock_key`` refuses a second running job for the same target, so
    two jobs for one customer never run at once, on PostgreSQL and SQLite alike.
    """
    now = timezone.now()
    claimable = (
        Job.objects.filter(pk=job_id)
        .filter(Q(run_after__isnull=True) | Q(run_after__lte=now))
        .filter(
            Q(state=JobState.QUEUED) | Q(state=JobState.RUNNING, heartbeat__lt=stale_before(now))
        )
        .exclude(_waits_for_older_job())
    )
    try:
        with transaction.atomic():
            changed = claimable.update(
                state=JobState.RUNNING,
                attempts=F("attempts") + 1,
                worker=worker,
                heartbeat=now,
                started=Coalesce(F("started"), now),
                finished=None,
            )
    except IntegrityError:
        return None  # another job for the same target is running
    if changed != 1:
        return None
    attempt, lock_key = Job.objects.filter(pk=job_id).values_list("attempts", "lock_key").get()
    return Claim(job_id=job_id, worker=worker, attempt=attempt, lock_key=lock_key)


def update_running(claim: Claim, **fields: Any) -> None:
    """Write progress (log, steps, payload, heartbeat) while the claim holds."""
    if claim.mine().update(heartbeat=timezone.now(), **fields) != 1:
        raise LostClaim(f"job {claim.job_id} was taken over")


def finish(claim: Claim, state: str, **fields: Any) -> bool:
    """End the attempt: succeeded or failed. Returns False if the claim was lost."""
    now = timezone.now()
    changed = claim.mine().update(
        state=state, finished=now, heartbeat=now, run_after=None, **fields
    )
    if changed == 1:
        transaction.on_commit(lambda: kick_next(claim.lock_key))
    return changed == 1


def requeue(claim: Claim, delay: float, **fields: Any) -> bool:
    """Give the job back to the queue, due in ``delay`` seconds (after a transient error)."""
    now = timezone.now()
    changed = claim.mine().update(
        state=JobState.QUEUED,
        worker="",
        heartbeat=now,
        run_after=now + timedelta(seconds=delay),
        **fields,
    )
    return changed == 1


def send(job_id: int, countdown: float | None = None) -> None:
    send_run_message(job_id, countdown)


def kick_next(lock_key: str) -> int | None:
    """Send the message for the oldest due job waiting on ``lock_key`` (it was refused while
    the previous one ran). Returns its id, if any."""
    now = timezone.now()
    waiting = (
        Job.objects.filter(lock_key=lock_key, state=JobState.QUEUED)
        .filter(Q(run_after__isnull=True) | Q(run_after__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if waiting is not None:
        Job.objects.filter(pk=waiting, state=JobState.QUEUED).update(heartbeat=now)
        send(waiting)
    return waiting
