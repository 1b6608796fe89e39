"""Requesting a job: the row first, in the caller's transaction; the broker message on commit.

Every app that wants the directory changed calls ``request_job``; only ``provisioning`` runs
jobs. If the caller's transaction rolls back, neither the row nor the message exist; if the
message is lost after commit, the sweeper finds the queued row and sends it again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from celery import current_app
from django.db import models, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from core import tracing
from core.actors import recorded_user
from core.models import Job, JobState

logger = logging.getLogger(__name__)

RUN_JOB_TASK = "provisioning.run_job"


class JobKind:
    """What a job does; stored on the row as text. Each kind has one job plan in
    ``provisioning.job_plans``."""

    PROVISION_ORGANISATION = "provision_organisation"
    UPDATE_ORGANISATION = "update_organisation"
    SUSPEND_ORGANISATION = "suspend_organisation"
    RESUME_ORGANISATION = "resume_organisation"
    DEPROVISION_ORGANISATION = "deprovision_organisation"
    REPAIR_ORGANISATION = "repair_organisation"
    MOVE_ORGANISATION = "move_organisation"  # its OU (and all below) under the new parent's
    CREATE_USER = "create_user"
    UPDATE_USER = "update_user"
    DISABLE_USER = "disable_user"
    ENABLE_USER = "enable_user"
    RESET_PASSWORD = "reset_password"
    DELETE_USER = "delete_user"
    CHANGE_PASSWORD = "change_password"  # a user's own new password
    UNLOCK_USER = "unlock_user"
    SET_ADMINISTRATOR = "set_administrator"  # membership of the customer's Admins group
    PROVISION_SERVICE = "provision_service"  # a service to a customer (also after a plan change)
    DEPROVISION_SERVICE = "deprovision_service"  # members removed, then the group deleted
    ASSIGN_SERVICES = "assign_services"  # make some users' services in AD match the portal
    IMPORT_USERS = "import_users"  # a bulk import: accounts, passwords, services
    RECONCILE = "reconcile"  # compare with AD, keep a drift report; in repair mode fix it
    QUARANTINE_DECISION = "quarantine_decision"  # adopt or delete a quarantined object
    ADOPTION_PREVIEW = "adoption_preview"  # read an existing tenant OU (writes nothing)


# Kinds whose whole point is a password: with it gone, a retry would set nothing or guess.
PASSWORD_KINDS = frozenset({JobKind.RESET_PASSWORD, JobKind.CHANGE_PASSWORD})
# Set in a job's payload when it failed for good while still holding a password, which was
# then erased: a retry must not run without the password it was made for.
SECRET_ERASED = "secret_erased"
# Set in a job's payload once its organisation's admins were e-mailed that it failed: a
# person's retry that fails again does not e-mail them a second time.
FAILURE_NOTIFIED = "failure_notified"


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


# A held job is recorded (its password encrypted) but not runnable until released: it waits
# for its organisation to be provisioned. Its own lock key keeps it from blocking that job.
HELD_UNTIL = datetime(9999, 12, 31, tzinfo=UTC)


def held_lock_key(organisation_id: int) -> str:
    return f"org:{organisation_id}:held"


def request_job(
    *,
    kind: str,
    organisation: models.Model | None,
    actor: Any,
    payload: dict[str, Any] | None = None,
    user: models.Model | None = None,
    secret: str = "",
    lock_key: str | None = None,
    target_label: str | None = None,
    hold: bool = False,
) -> Job:
    """Record a job and send its message once the surrounding transaction commits.

    ``hold`` records it unrunnable until ``release_held_jobs`` (for a draft organisation).
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
        started_by=recorded_user(actor),
        run_after=HELD_UNTIL if hold else None,
        request_id=tracing.request_id.get(),
    )
    # Ids, not names: the log is read by more people than the portal's pages.
    logger.info(
        "job %s (%s) requested: organisation %s, user %s%s",
        job.pk,
        kind,
        job.organisation_id,
        job.user_id,
        ", held" if hold else "",
    )
    if not hold:
        transaction.on_commit(lambda: send_run_message(job.pk))
    return job


def release_held_jobs(organisation_id: int) -> list[int]:
    """Run the jobs held for an organisation now that it exists in the directory.

    Called by the provision job's success hook, so they queue behind it for the same target.
    """
    held = Job.objects.filter(
        lock_key=held_lock_key(organisation_id), state=JobState.QUEUED
    ).order_by("pk")
    ids = list(held.values_list("pk", flat=True))
    held.update(lock_key=f"org:{organisation_id}", run_after=None, heartbeat=timezone.now())
    for job_id in ids:
        transaction.on_commit(lambda job_id=job_id: send_run_message(job_id))
    return ids


def cancel_held_jobs(organisation_id: int) -> int:
    """A draft that is deprovisioned never reaches the directory: drop what waited for it."""
    return Job.objects.filter(
        lock_key=held_lock_key(organisation_id), state=JobState.QUEUED
    ).update(state=JobState.CANCELLED, secret="", finished=timezone.now(), run_after=None)
