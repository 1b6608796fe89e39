"""What people do to jobs: retry a failed one, cancel a queued one, request a repair."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.jobs import PASSWORD_KINDS, SECRET_ERASED, JobKind, request_job, send_run_message
from core.models import Job, JobState
from core.scoping import has_permission, may_decide, unlimited
from customers.actions import lifecycle
from customers.models import Organisation
from provisioning.engine.rows import kick_next

# Jobs that carry a decision taken one level up (the customer's lifecycle, the services it
# is given): the customer's own admins may watch them but not cancel or re-run them.
DECIDED_ABOVE = frozenset(
    {
        JobKind.PROVISION_ORGANISATION,
        JobKind.SUSPEND_ORGANISATION,
        JobKind.RESUME_ORGANISATION,
        JobKind.DEPROVISION_ORGANISATION,
        JobKind.PROVISION_SERVICE,
        JobKind.DEPROVISION_SERVICE,
    }
)


def may_manage_job(actor: Any, job: Job) -> bool:
    """May ``actor`` retry or cancel ``job``?"""
    if job.organisation is None:
        return unlimited(actor)
    if job.kind in DECIDED_ABOVE:
        return may_decide(actor, job.organisation, "manage_jobs")
    return has_permission(actor, "manage_jobs", job.organisation)


def _require_manage_jobs(actor: Any, job: Job) -> None:
    if not may_manage_job(actor, job):
        raise PermissionDenied(_("You may not retry or cancel this job."))


def _log_entry(job: Job, when, level: str, message: str) -> dict:
    return {
        "at": when.isoformat(timespec="seconds"),
        "attempt": job.attempts,
        "level": level,
        "message": message,
    }


@transaction.atomic
def retry_job(*, actor: Any, job: Job) -> Job:
    """Run a failed job again, from its first step (every step is idempotent), with a fresh
    budget of attempts."""
    _require_manage_jobs(actor, job)
    if job.state == JobState.FAILED and (
        (job.payload or {}).get(SECRET_ERASED) or (job.kind in PASSWORD_KINDS and not job.secret)
    ):
        raise ValidationError(
            _(
                "This job's password was erased when it failed, so it cannot be retried. "
                "Set a new password for the user instead."
            )
        )
    now = timezone.now()
    entry = _log_entry(job, now, "info", f"Retried by {actor}")
    changed = Job.objects.filter(pk=job.pk, state=JobState.FAILED).update(
        state=JobState.QUEUED,
        attempts=0,
        error="",
        run_after=None,
        finished=None,
        heartbeat=now,
        worker="",
    )
    if changed != 1:
        raise ValidationError(_("Only a failed job can be retried."))
    job.refresh_from_db()
    job.log = [*job.log, entry]
    job.save(update_fields=["log"])
    lifecycle.job_retried(job, actor=actor)
    transaction.on_commit(lambda: send_run_message(job.pk))
    return job


@transaction.atomic
def cancel_job(*, actor: Any, job: Job) -> Job:
    """Cancel a job that has not started; the next job for the same target may then run."""
    _require_manage_jobs(actor, job)
    now = timezone.now()
    changed = Job.objects.filter(pk=job.pk, state=JobState.QUEUED).update(
        state=JobState.CANCELLED, finished=now, secret="", run_after=None
    )
    if changed != 1:
        raise ValidationError(
            _("Only a queued job can be cancelled; this one has started or ended.")
        )
    job.refresh_from_db()
    job.log = [*job.log, _log_entry(job, now, "warning", f"Cancelled by {actor}")]
    job.save(update_fields=["log"])
    lifecycle.job_cancelled(job, actor=actor)
    lock_key = job.lock_key
    transaction.on_commit(lambda: kick_next(lock_key))
    return job


@transaction.atomic
def request_repair(*, actor: Any, organisation: Organisation) -> Job:
    """Start a job that applies everything the portal says about ``organisation`` again."""
    if not has_permission(actor, "manage_jobs", organisation):
        raise PermissionDenied(_("You may not repair this organisation's directory objects."))
    if organisation.directory_guid is None:
        raise ValidationError(
            _("This organisation is not provisioned; there is nothing to repair.")
        )
    return request_job(kind=JobKind.REPAIR_ORGANISATION, organisation=organisation, actor=actor)


RECONCILE_REPORT, RECONCILE_REPAIR = "report", "repair"


@transaction.atomic
def request_reconcile(*, actor: Any, organisation: Organisation, repair: bool = False) -> Job:
    """Start a job that compares ``organisation`` with the directory and keeps a drift report;
    with ``repair``, it also puts right what drifted and quarantines what the portal does not
    know. Looking needs only sight of the jobs; repairing needs the right to manage them."""
    codename = "manage_jobs" if repair else "view_jobs"
    if not has_permission(actor, codename, organisation):
        raise PermissionDenied(_("You may not repair this organisation's directory objects."))
    if organisation.directory_guid is None:
        raise ValidationError(_("This organisation is not provisioned; there is nothing to check."))
    return request_job(
        kind=JobKind.RECONCILE,
        organisation=organisation,
        actor=actor,
        payload={"mode": RECONCILE_REPAIR if repair else RECONCILE_REPORT},
    )
