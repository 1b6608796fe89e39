"""Running one job: claim it, run its plan's steps, record the outcome.

Outcomes, and what people see:
- every step done -> succeeded (the plan's ``on_success`` runs in the same transaction);
- `TransientDirectoryError` -> queued again after `retry_delay` (exponential, jittered),
  failed once ``JOB_MAX_ATTEMPTS`` is reached;
- `JobFailed`, `PermanentDirectoryError`, no directory configured -> failed at once with a
  message for people (the plan's ``on_failure`` runs); Retry on the job page runs it again;
- anything else is a bug -> failed with a short notice; the traceback goes to the log.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections import deque

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core import tracing
from core.credentials import CredentialError
from core.jobs import FAILURE_NOTIFIED, SECRET_ERASED
from core.models import Job, JobState
from customers import notifications
from customers.actions import webhooks
from customers.models import WebhookEvent
from directory import PasswordRejectedError, PermanentDirectoryError, TransientDirectoryError
from provisioning.engine import metrics, rows
from provisioning.engine.backoff import retry_delay
from provisioning.engine.connection import DirectoryNotConfigured, directory_config
from provisioning.engine.context import StepContext
from provisioning.engine.errors import INTERNAL_ERROR_MESSAGE, JobFailed, LostClaim
from provisioning.job_plans import UnknownJobKind, plan_for

logger = logging.getLogger("provisioning.engine")


class Heartbeat:
    """Keeps ``Job.heartbeat`` fresh from a thread while a long step runs, so the sweeper
    only re-queues jobs whose worker really stopped. Inside a caller's transaction (tests,
    the reconcile command) no thread is started: step progress writes the heartbeat."""

    def __init__(self, claim: rows.Claim) -> None:
        self.claim = claim
        self.interval = max(0.5, settings.JOB_STALE_AFTER_SECONDS / 5)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost = False

    def __enter__(self) -> Heartbeat:
        if not connection.in_atomic_block:
            # In a copy of this context, so its log lines carry the job's ids too.
            self._thread = threading.Thread(
                target=contextvars.copy_context().run,
                args=(self._beat,),
                name=f"heartbeat-job-{self.claim.job_id}",
                daemon=True,
            )
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                if self.claim.mine().update(heartbeat=timezone.now()) != 1:
                    self.lost = True
                    return
        except Exception:  # a heartbeat that fails is logged; the sweeper decides later
            logger.warning("heartbeat for job %s failed", self.claim.job_id, exc_info=True)
        finally:
            connection.close()

    def check(self) -> None:
        if self.lost:
            raise LostClaim(f"job {self.claim.job_id} was taken over")


def run_job(job_id: int, *, worker: str | None = None) -> str:
    """Run job ``job_id`` if it is ours to run; returns what happened (for logs and tests):
    ``succeeded``, ``failed``, ``retrying``, ``skipped`` (not claimed) or ``lost``.

    Every log line meanwhile carries the job's id and the id of the request that asked for
    it (``core.tracing``)."""
    with tracing.job_context(job_id):
        claim = rows.claim(job_id, worker or rows.worker_id())
        if claim is None:
            logger.info("job %s not claimed: finished, not due yet, or its target is busy", job_id)
            return "skipped"
        started = time.monotonic()
        job = Job.objects.select_related("organisation", "user").get(pk=job_id)
        tracing.request_id.set(job.request_id)
        logger.info("job %s (%s) attempt %s started", job_id, job.kind, claim.attempt)
        with Heartbeat(claim) as heartbeat:
            outcome = _run(job, claim, heartbeat)
        metrics.record_attempt(job.kind, outcome, time.monotonic() - started)
        logger.info("job %s attempt %s: %s", job_id, claim.attempt, outcome)
        return outcome


def _run(job: Job, claim: rows.Claim, heartbeat: Heartbeat) -> str:
    ctx = StepContext(job, claim, None)
    where = "Preparing the job"
    try:
        if claim.attempt > settings.JOB_MAX_ATTEMPTS:
            raise JobFailed(
                f"The job was interrupted {claim.attempt - 1} times (its worker stopped) and "
                "has been given up; retry it once the workers are healthy."
            )
        plan = plan_for(job.kind)
        ctx.config = directory_config()
        ctx.log(f"Attempt {claim.attempt} started on {claim.worker}")
        steps = deque(plan.build(job))
        ctx.set_total(len(steps))
        ctx.flush(force=True)
        number = 0
        while steps:
            step = steps.popleft()
            number += 1
            where = step.message
            ctx.begin_step()
            step.run(ctx)
            steps.extendleft(reversed(ctx.end_step(step, number)))
            if step.uses_secret and job.secret:
                ctx.erase_secret()
            else:
                ctx.flush()
            heartbeat.check()
        return _succeed(job, claim, ctx)
    except LostClaim:
        logger.warning("job %s attempt %s was taken over; stopping", job.pk, claim.attempt)
        return "lost"
    except (TransientDirectoryError, SoftTimeLimitExceeded) as exc:
        return _retry_or_fail(job, claim, ctx, where, exc)
    except DirectoryNotConfigured as exc:
        return _fail(job, claim, ctx, str(exc))
    except PasswordRejectedError as exc:
        return _fail(
            job,
            claim,
            ctx,
            f"{where}: the directory refused the password because it does not meet the "
            f"password policy. Set a new password for this user. ({exc})",
        )
    except (JobFailed, PermanentDirectoryError, CredentialError, UnknownJobKind) as exc:
        return _fail(job, claim, ctx, f"{where}: {exc}")
    except Exception:
        logger.exception("job %s (%s) failed in %r with a bug", job.pk, job.kind, where)
        return _fail(job, claim, ctx, INTERNAL_ERROR_MESSAGE.format(job_id=job.pk))


def _report(job: Job, event: str, state: str, error: str) -> None:
    """The job's webhook event, in the transaction that ends it."""
    webhooks.emit(
        event,
        job.organisation_id,
        {
            "id": job.pk,
            "kind": job.kind,
            "state": state,
            "organisation": job.organisation_id,
            "target": job.target_label,
            "error": error,
        },
    )


def _succeed(job: Job, claim: rows.Claim, ctx: StepContext) -> str:
    plan = plan_for(job.kind)
    ctx.log(f"Done: {ctx.steps_done} steps")
    with transaction.atomic():
        fields = ctx.pending_fields()
        fields.update(steps_done=ctx.steps_done, steps_total=ctx.steps_done, error="", secret="")
        if not rows.finish(claim, JobState.SUCCEEDED, **fields):
            return "lost"
        _report(job, WebhookEvent.JOB_SUCCEEDED, JobState.SUCCEEDED, "")
        if plan.on_success is not None:
            plan.on_success(job)
    return "succeeded"


def _fail(job: Job, claim: rows.Claim, ctx: StepContext, message: str) -> str:
    """Fail for good. A password still held is erased: nobody re-runs a failed reset later
    with a password someone else knew; a retry asks for a new one (``retry_job``)."""
    ctx.log(message, level="error")
    # The same words in the process log, where the job's and its request's ids go with them.
    logger.warning("job %s (%s) failed: %s", job.pk, job.kind, message)
    with transaction.atomic():
        fields = ctx.pending_fields()
        fields["error"] = message
        fields["secret"] = ""
        payload = dict(job.payload or {})
        if job.secret:
            payload[SECRET_ERASED] = True
        # The organisation's admins hear of a job's failure once, not again after each retry.
        notify = not payload.get(FAILURE_NOTIFIED)
        payload[FAILURE_NOTIFIED] = True
        fields["payload"] = payload
        if not rows.finish(claim, JobState.FAILED, **fields):
            return "lost"
        _report(job, WebhookEvent.JOB_FAILED, JobState.FAILED, message)
        if notify:
            job.error = message
            notifications.job_failed(job)  # queued: sent after this commit
        try:
            plan = plan_for(job.kind)
        except UnknownJobKind:
            plan = None
        if plan is not None and plan.on_failure is not None:
            plan.on_failure(job)
    return "failed"


def _retry_or_fail(
    job: Job, claim: rows.Claim, ctx: StepContext, where: str, exc: BaseException
) -> str:
    problem = str(exc) or "the step ran out of time"
    if claim.attempt >= settings.JOB_MAX_ATTEMPTS:
        return _fail(
            job,
            claim,
            ctx,
            f"Gave up after {claim.attempt} attempts. The last problem was in “{where}”: {problem}",
        )
    delay = retry_delay(claim.attempt)
    logger.warning(
        "job %s (%s) will retry in %.0f s: %s: %s", job.pk, job.kind, delay, where, problem
    )
    ctx.log(
        f"{where}: {problem}. Trying again in {delay:.0f} s "
        f"(attempt {claim.attempt} of {settings.JOB_MAX_ATTEMPTS}).",
        level="warning",
    )
    with transaction.atomic():
        fields = ctx.pending_fields()
        fields["error"] = f"Waiting to try again: {problem}"
        if not rows.requeue(claim, delay, **fields):
            return "lost"
        transaction.on_commit(lambda: rows.send(job.pk, countdown=delay))
    return "retrying"
