"""Starting jobs: the row first, the broker message on commit."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from celery import current_app
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from customers.lifecycle import move
from customers.models import Organisation, Status, User
from customers.scoping import has_permission, may_decide
from provisioning.credentials import encrypt_secret
from provisioning.models import Job, JobState

logger = logging.getLogger(__name__)

RUN_JOB_TASK = "provisioning.run_job"


def send_run_message(job_id: int, countdown: float | None = None) -> None:
    """Tell a worker to run job ``job_id``; the message carries nothing but the id.

    It is sent after the job's row is committed. If the broker cannot take it, the job stays
    queued and the sweeper sends it again: the change the person made is not lost, so the
    failure is logged rather than raised into their request.
    """
    try:
        current_app.send_task(RUN_JOB_TASK, args=[job_id], countdown=countdown)
    except (OSError, KombuOperationalError):
        logger.warning("job %s: the broker did not take its message; the sweeper will", job_id)


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
    hold: bool = False,
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
        run_after=HELD_UNTIL if hold else None,
    )
    if not hold:
        transaction.on_commit(lambda: send_run_message(job.pk))
    return job


# A held job is recorded (its password encrypted) but not runnable until released: it waits
# for its organisation to be provisioned. Its own lock key keeps it from blocking that job.
HELD_UNTIL = datetime(9999, 12, 31, tzinfo=UTC)


def held_lock_key(organisation_id: int) -> str:
    return f"org:{organisation_id}:held"


def release_held_jobs(organisation: Organisation) -> list[int]:
    """Run the jobs held for ``organisation`` now that it exists in the directory.

    Called by the provision job's success hook, so they queue behind it for the same target.
    """
    held = Job.objects.filter(
        lock_key=held_lock_key(organisation.pk), state=JobState.QUEUED
    ).order_by("pk")
    ids = list(held.values_list("pk", flat=True))
    held.update(lock_key=f"org:{organisation.pk}", run_after=None, heartbeat=timezone.now())
    for job_id in ids:
        transaction.on_commit(lambda job_id=job_id: send_run_message(job_id))
    return ids


def cancel_held_jobs(organisation: Organisation) -> int:
    """A draft that is deprovisioned never reaches the directory: drop what waited for it."""
    return Job.objects.filter(
        lock_key=held_lock_key(organisation.pk), state=JobState.QUEUED
    ).update(state=JobState.CANCELLED, secret="", finished=timezone.now(), run_after=None)


# --- Lifecycle requests: set the portal state, record the job that makes AD match. ---------


class JobKind:
    PROVISION_ORGANISATION = "provision_organisation"
    UPDATE_ORGANISATION = "update_organisation"
    SUSPEND_ORGANISATION = "suspend_organisation"
    RESUME_ORGANISATION = "resume_organisation"
    DEPROVISION_ORGANISATION = "deprovision_organisation"
    CREATE_USER = "create_user"
    UPDATE_USER = "update_user"
    DISABLE_USER = "disable_user"
    ENABLE_USER = "enable_user"
    RESET_PASSWORD = "reset_password"
    DELETE_USER = "delete_user"
    REPAIR_ORGANISATION = "repair_organisation"


def _lifecycle_permission(actor: User | None, organisation: Organisation) -> None:
    """Lifecycle actions are decided one level up: a reseller cannot suspend itself."""
    if not may_decide(actor, organisation, "manage_lifecycle"):
        raise PermissionDenied("You may not change the lifecycle of this organisation.")


def _transition(actor, organisation, target, kind, payload=None) -> Job:
    _lifecycle_permission(actor, organisation)
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    move(locked, target)
    locked._history_user = actor
    locked.save(update_fields=["status", "updated"])
    organisation.status = locked.status
    return enqueue_job(kind=kind, organisation=locked, actor=actor, payload=payload or {})


@transaction.atomic
def provision_organisation(*, actor: User | None, organisation: Organisation) -> Job:
    """Save/Provision: draft (or failed) -> provisioning, and the job that builds its OU tree.

    The OU is built inside the parent's: a customer of a reseller that is not in the directory
    yet (a draft) cannot be provisioned before its reseller.
    """
    _lifecycle_permission(actor, organisation)
    parent = organisation.parent
    if parent is not None and not parent.is_provider and parent.directory_guid is None:
        raise ValidationError(
            f"Provision {parent.name} first: {organisation.name} is created inside it in the "
            "directory, and it is not there yet."
        )
    return _transition(actor, organisation, Status.PROVISIONING, JobKind.PROVISION_ORGANISATION)


@transaction.atomic
def apply_organisation_edit(*, actor: User | None, organisation: Organisation) -> Job | None:
    """An edit of a provisioned organisation is applied to the directory by an update job."""
    if organisation.provisioned_at is None:
        return None
    return enqueue_job(
        kind=JobKind.UPDATE_ORGANISATION, organisation=organisation, actor=actor, payload={}
    )


@transaction.atomic
def suspend_organisation(*, actor: User | None, organisation: Organisation) -> Job:
    return _transition(actor, organisation, Status.SUSPENDED, JobKind.SUSPEND_ORGANISATION)


@transaction.atomic
def resume_organisation(*, actor: User | None, organisation: Organisation) -> Job:
    return _transition(actor, organisation, Status.ACTIVE, JobKind.RESUME_ORGANISATION)


@transaction.atomic
def deprovision_organisation(*, actor: User | None, organisation: Organisation) -> Job | None:
    """Suspended -> deprovisioning and the job that removes it from the directory.

    A draft never reached the directory: it becomes deprovisioned at once, with no job.
    """
    if organisation.status == Status.DRAFT:
        _lifecycle_permission(actor, organisation)
        cancel_held_jobs(organisation)
        move(organisation, Status.DEPROVISIONED)
        organisation._history_user = actor
        organisation.save(update_fields=["status", "updated"])
        return None
    if (
        organisation.get_descendants()
        .exclude(status__in=[Status.DEPROVISIONED, Status.DELETED])
        .exists()
    ):
        raise ValidationError("Deprovision and delete this reseller's customers first.")
    return _transition(actor, organisation, Status.DEPROVISIONING, JobKind.DEPROVISION_ORGANISATION)


def user_job(
    *,
    kind: str,
    actor: User | None,
    user: User,
    password: str | None = None,
    payload: dict[str, Any] | None = None,
) -> Job:
    """A job acting on one user; a password travels encrypted in ``Job.secret``.

    For a user of a draft organisation the job is held until the organisation is provisioned
    (see ``release_held_jobs``): provisioning creates the account, this job then gives it the
    password the administrator chose.

    The payload also keeps the account's GUID and UPN, so that a delete still finds the
    account after the user's row is gone. ``reset_password`` reads ``payload["must_change"]``.
    """
    draft = user.organisation is not None and user.organisation.status == Status.DRAFT
    payload = {
        "username": user.username,
        "upn": user.upn or "",
        "directory_guid": str(user.directory_guid) if user.directory_guid else "",
        **(payload or {}),
    }
    return enqueue_job(
        kind=kind,
        organisation=user.organisation,
        actor=actor,
        user=user,
        payload=payload,
        secret=encrypt_secret(password) if password else "",
        lock_key=held_lock_key(user.organisation_id) if draft else f"org:{user.organisation_id}",
        target_label=f"{user.display_name or user.username} ({user.upn})",
        hold=draft,
    )


def mark_provisioned(organisation: Organisation) -> None:
    """Called by the engine when the OU tree exists: the code is locked from now on."""
    if organisation.provisioned_at is None:
        organisation.provisioned_at = timezone.now()


# --- Operating on jobs: retry, cancel, repair. -----------------------------------------------


def _require_manage_jobs(actor: User | None, job: Job) -> None:
    if actor is None:
        return
    if job.organisation is None or not has_permission(actor, "manage_jobs", job.organisation):
        raise PermissionDenied("You may not retry or cancel this job.")


# A failed job of these kinds left its organisation "failed"; a retry puts it back.
_RETRY_STATUS = {
    JobKind.PROVISION_ORGANISATION: Status.PROVISIONING,
    JobKind.DEPROVISION_ORGANISATION: Status.DEPROVISIONING,
}


@transaction.atomic
def retry_job(*, actor: User | None, job: Job) -> Job:
    """Run a failed job again, from its first step (every step is idempotent), with a fresh
    budget of attempts."""
    _require_manage_jobs(actor, job)
    now = timezone.now()
    entry = {
        "at": now.isoformat(timespec="seconds"),
        "attempt": job.attempts,
        "level": "info",
        "message": f"Retried by {actor or 'the system'}",
    }
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
        raise ValidationError("Only a failed job can be retried.")
    job.refresh_from_db()
    job.log = [*job.log, entry]
    job.save(update_fields=["log"])
    target = _RETRY_STATUS.get(job.kind)
    if target and job.organisation_id:
        organisation = Organisation.objects.select_for_update().get(pk=job.organisation_id)
        if organisation.status == Status.FAILED:
            move(organisation, target)
            organisation._history_user = actor
            organisation.save(update_fields=["status", "updated"])
    transaction.on_commit(lambda: send_run_message(job.pk))
    return job


@transaction.atomic
def cancel_job(*, actor: User | None, job: Job) -> Job:
    """Cancel a job that has not started. A cancelled (de)provisioning leaves its
    organisation failed, so it can be provisioned or deprovisioned again later."""
    _require_manage_jobs(actor, job)
    now = timezone.now()
    changed = Job.objects.filter(pk=job.pk, state=JobState.QUEUED).update(
        state=JobState.CANCELLED, finished=now, secret="", run_after=None
    )
    if changed != 1:
        raise ValidationError("Only a queued job can be cancelled; this one has started or ended.")
    job.refresh_from_db()
    job.log = [
        *job.log,
        {
            "at": now.isoformat(timespec="seconds"),
            "attempt": job.attempts,
            "level": "warning",
            "message": f"Cancelled by {actor or 'the system'}",
        },
    ]
    job.save(update_fields=["log"])
    if job.kind in _RETRY_STATUS and job.organisation_id:
        organisation = Organisation.objects.select_for_update().get(pk=job.organisation_id)
        if organisation.status == _RETRY_STATUS[job.kind]:
            move(organisation, Status.FAILED)
            organisation._history_user = actor
            organisation.save(update_fields=["status", "updated"])
    lock_key = job.lock_key

    def kick() -> None:
        from provisioning.engine.rows import kick_next

        kick_next(lock_key)

    transaction.on_commit(kick)
    return job


@transaction.atomic
def request_repair(*, actor: User | None, organisation: Organisation) -> Job:
    """Start a job that applies everything the portal says about ``organisation`` again."""
    if actor is not None and not has_permission(actor, "manage_jobs", organisation):
        raise PermissionDenied("You may not repair this organisation's directory objects.")
    if organisation.directory_guid is None:
        raise ValidationError("This organisation is not provisioned; there is nothing to repair.")
    return enqueue_job(kind=JobKind.REPAIR_ORGANISATION, organisation=organisation, actor=actor)
