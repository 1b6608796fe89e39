"""Starting jobs: the row first, the broker message on commit."""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from customers.lifecycle import move
from customers.models import Organisation, Status, User
from customers.scoping import has_permission
from provisioning.credentials import encrypt_secret
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


def _lifecycle_permission(actor: User | None, organisation: Organisation) -> None:
    """Lifecycle actions are decided one level up: a reseller cannot suspend itself."""
    if actor is None:
        return
    decider = organisation.parent or organisation
    if not has_permission(actor, "manage_lifecycle", decider):
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
    """Save/Provision: draft (or failed) -> provisioning, and the job that builds its OU tree."""
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
    """A job acting on one user; a password travels encrypted in ``Job.secret``."""
    return enqueue_job(
        kind=kind,
        organisation=user.organisation,
        actor=actor,
        user=user,
        payload=payload or {},
        secret=encrypt_secret(password) if password else "",
        lock_key=f"org:{user.organisation_id}",
        target_label=f"{user.display_name or user.username} ({user.upn})",
    )


def mark_provisioned(organisation: Organisation) -> None:
    """Called by the engine when the OU tree exists: the code is locked from now on."""
    if organisation.provisioned_at is None:
        organisation.provisioned_at = timezone.now()
