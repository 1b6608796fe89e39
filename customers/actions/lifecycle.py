"""The organisation lifecycle: the only module that writes ``Organisation.status``.

    draft -> provisioning -> active <-> suspended -> deprovisioning -> deprovisioned -> deleted
    provisioning / deprovisioning -> failed -> (retry) the same step again
    deleted -> deprovisioned (restore, within the retention period)

Suspend before deprovision, deprovision before delete: the manuals insist on both. A draft
never reached the directory, so it may be deprovisioned (a no-op) and deleted.

People's requests (provision, suspend, resume, deprovision, delete, restore) set the portal's
status and request the job that makes the directory match; the engine reports back through
``job_finished``, ``job_retried`` and ``job_cancelled``, so the state machine has one owner.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import recorded_user
from core.jobs import JobKind, cancel_held_jobs, release_held_jobs, request_job
from core.models import Job
from core.scoping import has_permission, may_decide
from customers.actions import webhooks
from customers.actions.organisations import lock_tree
from customers.actions.verification import unverified_upn_domains
from customers.models import (
    Organisation,
    OrganisationUserObjectPermission,
    RoleGrant,
    Status,
    WebhookEvent,
)
from customers.models.history import deletion_history_in_bulk

logger = logging.getLogger("customers.lifecycle")

ALLOWED_MOVES: dict[str, set[str]] = {
    Status.DRAFT: {Status.PROVISIONING, Status.DEPROVISIONED},
    Status.PROVISIONING: {Status.ACTIVE, Status.FAILED},
    Status.ACTIVE: {Status.SUSPENDED, Status.PROVISIONING},
    Status.SUSPENDED: {Status.ACTIVE, Status.DEPROVISIONING},
    Status.DEPROVISIONING: {Status.DEPROVISIONED, Status.FAILED},
    Status.DEPROVISIONED: {Status.DELETED, Status.PROVISIONING},
    Status.DELETED: {Status.DEPROVISIONED},
    Status.FAILED: {Status.PROVISIONING, Status.DEPROVISIONING, Status.ACTIVE, Status.SUSPENDED},
}

REFUSALS = {
    Status.DELETED: _("Deprovision the customer before deleting it."),
    Status.DEPROVISIONING: _("Suspend the customer before deprovisioning it."),
    Status.SUSPENDED: _("Only an active customer can be suspended."),
}

# Statuses whose people may not sign in (to the portal or, through the job engine, to AD).
LOCKED_STATUSES = frozenset(
    {Status.SUSPENDED, Status.DEPROVISIONING, Status.DEPROVISIONED, Status.DELETED}
)

# A failed job of these kinds left its organisation "failed"; a retry puts it back.
RETRY_STATUS = {
    JobKind.PROVISION_ORGANISATION: Status.PROVISIONING,
    JobKind.DEPROVISION_ORGANISATION: Status.DEPROVISIONING,
}


def can_move(organisation: Organisation, target: str) -> bool:
    return target in ALLOWED_MOVES.get(organisation.status, set())


def _move(organisation: Organisation, target: str) -> None:
    """Set the new status or raise a ValidationError that says what must happen first."""
    if not can_move(organisation, target):
        reason = REFUSALS.get(
            target,
            f"A {organisation.get_status_display().lower()} customer cannot become "
            f"{Status(target).label.lower()}.",
        )
        raise ValidationError(reason, code="lifecycle")
    _report_move(organisation, organisation.status, target)
    organisation.status = target


def _report_move(organisation: Organisation, before: str, after: str) -> None:
    """The lifecycle webhook event, in the transaction that moves it."""
    if before != after:
        webhooks.emit(
            WebhookEvent.LIFECYCLE_CHANGED,
            organisation.pk,
            {"id": organisation.pk, "code": organisation.code, "from": before, "to": after},
        )


def _save(organisation: Organisation, actor: Any, *fields: str) -> None:
    organisation._history_user = recorded_user(actor)
    organisation.save(update_fields=["status", *fields, "updated"])


def _require_lifecycle(actor: Any, organisation: Organisation) -> None:
    """Lifecycle actions are decided one level up: a reseller cannot suspend itself."""
    if not may_decide(actor, organisation, "manage_lifecycle"):
        raise PermissionDenied(_("You may not change the lifecycle of this organisation."))


def _transition(
    actor: Any,
    organisation: Organisation,
    target: str,
    kind: str,
    *,
    payload: dict[str, Any] | None = None,
    target_label: str | None = None,
) -> Job:
    _require_lifecycle(actor, organisation)
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    _move(locked, target)
    _save(locked, actor)
    organisation.status = locked.status
    return request_job(
        kind=kind, organisation=locked, actor=actor, payload=payload, target_label=target_label
    )


def _chain_label(organisation: Organisation, step: int) -> str:
    """How each job of Deprovision and delete names itself, so the Jobs tab reads as one."""
    return _("%(name)s (Deprovision and delete, step %(step)d of 2)") % {
        "name": organisation.name,
        "step": step,
    }


# --- What people ask for -----------------------------------------------------------------


# Dependents named in a refusal; the page links to them (and says how many more there are).
DEPENDENTS_NAMED = 10

# What a dependent must have become before its parent may become the key.
DEPENDENTS_DONE = {
    Status.DEPROVISIONED: [Status.DEPROVISIONED, Status.DELETED],
    Status.DELETED: [Status.DELETED],
}


def dependents(organisation: Organisation, target: str):
    """The organisations below ``organisation`` that stop it from becoming ``target``: its
    customers and sub-resellers (and theirs) that are not yet deprovisioned, or deleted.
    Their subscriptions, users and jobs go with them, so they are what to remove first."""
    return (
        organisation.get_descendants()
        .exclude(status__in=DEPENDENTS_DONE[target])
        .order_by("tree_id", "lft")
    )


def refuse_while_dependents(organisation: Organisation, target: str) -> None:
    """Deprovision and delete are refused while anything depends on the organisation (a
    reseller deleted before its customers would leave them orphaned)."""
    blocking = dependents(organisation, target)
    named = list(blocking[:DEPENDENTS_NAMED])
    if not named:
        return
    step = _("deprovisioned") if target == Status.DEPROVISIONED else _("deleted")
    raise ValidationError(
        _(
            "Remove any entities associated with %(name)s first: %(dependents)s must be "
            "%(step)s before it."
        )
        % {
            "name": organisation.name,
            "dependents": ", ".join(f"{d.name} ({d.code})" for d in named)
            + (_(" and others") if blocking.count() > len(named) else ""),
            "step": step,
        },
        code="dependents",
    )


@transaction.atomic
def provision_organisation(*, actor: Any, organisation: Organisation) -> Job:
    """Save/Provision: draft (or failed) -> provisioning, and the job that builds its OU tree.

    The OU is built inside the parent's: a customer of a reseller that is not in the directory
    yet (a draft) cannot be provisioned before its reseller.
    """
    _require_lifecycle(actor, organisation)
    parent = organisation.parent
    if parent is not None and not parent_ready(parent):
        raise ValidationError(
            _(
                "Provision %(name)s first: %(name2)s is created inside it in the directory, "
                "and it is not there yet."
            )
            % {"name": parent.name, "name2": organisation.name}
        )
    unverified = unverified_upn_domains(organisation)
    if unverified:
        raise ValidationError(
            _(
                "Verify %(domains)s first (on the Domains page): users sign in with it, and only "
                "verified domains reach the directory."
            )
            % {"domains": ", ".join(unverified)}
        )
    return _transition(actor, organisation, Status.PROVISIONING, JobKind.PROVISION_ORGANISATION)


def parent_ready(parent: Organisation) -> bool:
    """May a child of ``parent`` be provisioned? When the parent is in the directory, or its
    provisioning is queued (the child's job makes the OUs of its ancestors on the way, so the
    order of the two jobs does not matter). The provider's OU is made by the first of its
    children that is provisioned, so it may stay a draft until its admins need accounts."""
    return (
        parent.is_provider
        or parent.directory_guid is not None
        or parent.status == Status.PROVISIONING
    )


def chain_to_provision(organisation: Organisation, actor: Any) -> list[Organisation]:
    """``organisation`` and its ancestors never provisioned (and not being provisioned),
    from the top down: what "Provision the parent chain" queues. The provider is left out
    for whoever may not provision it: its children make its OU on the way."""
    return [
        node
        for node in organisation.get_ancestors(include_self=True)
        if node.provisioned_at is None
        and can_move(node, Status.PROVISIONING)
        and not (node.is_provider and not may_decide(actor, node, "manage_lifecycle"))
    ]


@transaction.atomic
def provision_parent_chain(*, actor: Any, organisation: Organisation) -> list[Job]:
    """Provision ``organisation`` (the parent chosen on the create form) and each ancestor
    not in the directory yet, in order: resellers are provisioned before their customers.

    The jobs share one lock key, so they run one after the other, from the top down.
    Refused as a whole when the actor may not provision one of them.
    """
    chain = chain_to_provision(organisation, actor)
    refused = [node for node in chain if not may_decide(actor, node, "manage_lifecycle")]
    if refused:
        raise ValidationError(
            _("Ask whoever manages %(names)s to provision it: you may not.")
            % {"names": ", ".join(node.name for node in refused)}
        )
    jobs: list[Job] = []
    for node in chain:
        locked = Organisation.objects.select_for_update().get(pk=node.pk)
        _move(locked, Status.PROVISIONING)
        _save(locked, actor)
        jobs.append(
            request_job(
                kind=JobKind.PROVISION_ORGANISATION,
                organisation=locked,
                actor=actor,
                lock_key=jobs[0].lock_key if jobs else None,
            )
        )
    return jobs


@transaction.atomic
def suspend_organisation(*, actor: Any, organisation: Organisation) -> Job:
    return _transition(actor, organisation, Status.SUSPENDED, JobKind.SUSPEND_ORGANISATION)


@transaction.atomic
def resume_organisation(*, actor: Any, organisation: Organisation) -> Job:
    return _transition(actor, organisation, Status.ACTIVE, JobKind.RESUME_ORGANISATION)


@transaction.atomic
def deprovision_and_delete(
    *, actor: Any, organisation: Organisation, confirm_code: str
) -> Job | None:
    """Deprovision and delete in one request, keeping the rules: an active organisation is
    suspended first, then deprovisioned; the deprovision job carries ``then_delete``, and
    ``job_finished`` deletes the organisation when that job succeeds. A draft (never in the
    directory) or a deprovisioned organisation is deleted at once.

    Returns the deprovision job, or ``None`` when nothing had to wait for the directory.
    """
    _require_lifecycle(actor, organisation)
    if confirm_code != organisation.code:
        raise ValidationError({"confirm_code": _("Type the customer's code exactly to confirm.")})
    refuse_while_dependents(organisation, Status.DELETED)
    job = None
    if organisation.status == Status.ACTIVE:
        _transition(
            actor,
            organisation,
            Status.SUSPENDED,
            JobKind.SUSPEND_ORGANISATION,
            target_label=_chain_label(organisation, 1),
        )
    if organisation.status == Status.DRAFT:
        deprovision_organisation(actor=actor, organisation=organisation)
    elif organisation.status in {Status.SUSPENDED, Status.FAILED}:
        job = _transition(
            actor,
            organisation,
            Status.DEPROVISIONING,
            JobKind.DEPROVISION_ORGANISATION,
            payload={"then_delete": True},
            target_label=_chain_label(organisation, 2),
        )
    if organisation.status == Status.DEPROVISIONED:
        delete_organisation(actor=actor, organisation=organisation, confirm_code=confirm_code)
    elif job is None:
        _move(organisation, Status.DELETED)  # raises: says what must happen first
    return job


@transaction.atomic
def deprovision_organisation(*, actor: Any, organisation: Organisation) -> Job | None:
    """Suspended -> deprovisioning and the job that removes it from the directory.

    A draft never reached the directory: it becomes deprovisioned at once, with no job.
    """
    _require_lifecycle(actor, organisation)
    refuse_while_dependents(organisation, Status.DEPROVISIONED)
    if organisation.status == Status.DRAFT:
        cancel_held_jobs(organisation.pk)
        _move(organisation, Status.DEPROVISIONED)
        _save(organisation, actor)
        return None
    return _transition(actor, organisation, Status.DEPROVISIONING, JobKind.DEPROVISION_ORGANISATION)


@transaction.atomic
def delete_organisation(*, actor: Any, organisation: Organisation, confirm_code: str) -> None:
    """Delete a deprovisioned customer; it can be restored for ``DELETED_RETENTION_DAYS``.

    Its people cannot sign in from now on (a deleted organisation locks its users out);
    the rows are purged later.
    """
    if not may_decide(actor, organisation, "manage_lifecycle"):
        raise PermissionDenied(_("You may not delete this organisation."))
    if confirm_code != organisation.code:
        raise ValidationError({"confirm_code": _("Type the customer's code exactly to confirm.")})
    refuse_while_dependents(organisation, Status.DELETED)
    previous = organisation.status
    _move(organisation, Status.DELETED)
    organisation.status_before_deletion = previous
    organisation.deleted_at = timezone.now()
    _save(organisation, actor, "status_before_deletion", "deleted_at")


@transaction.atomic
def restore_organisation(*, actor: Any, organisation: Organisation) -> None:
    """Provider admins may bring back a deleted customer within the retention period."""
    if not has_permission(actor, "manage_catalogue", organisation):
        raise PermissionDenied(_("Only provider administrators can restore customers."))
    if organisation.deleted_at is None or organisation.deleted_at < retention_cutoff():
        raise ValidationError(_("This customer can no longer be restored."))
    _move(organisation, Status.DEPROVISIONED)
    organisation.deleted_at = None
    _save(organisation, actor, "deleted_at")


def retention_cutoff():
    return timezone.now() - timedelta(days=settings.DELETED_RETENTION_DAYS)


@transaction.atomic
def purge_organisation(organisation: Organisation) -> None:
    """Remove one organisation and every record below it, for good.

    django-mptt closes the gap it leaves by renumbering the rest of its tree from the
    ``lft``/``rght`` it holds in memory, so the tree's root is locked and the row read again
    first (``lock_tree``), as every insert and move does: a create in the same tree at the
    same moment would otherwise renumber from values the delete has just changed. Only this
    tree waits; writes under other top-level resellers do not.
    """
    organisation = lock_tree(organisation)
    with deletion_history_in_bulk():
        OrganisationUserObjectPermission.objects.filter(user__organisation=organisation).delete()
        RoleGrant.objects.filter(organisation=organisation).delete()
        organisation.delete()  # cascades to users, domains, contacts, grants


def purge_deleted_organisations() -> int:
    """Remove every record of customers deleted longer ago than the retention period."""
    purged = 0
    for organisation in Organisation.objects.filter(
        status=Status.DELETED, deleted_at__lt=retention_cutoff()
    ):
        try:
            purge_organisation(organisation)
            purged += 1
        except ProtectedError as error:
            # Issued invoices, credit notes, payments and ledger rows are legal records that
            # outlive the customer (on_delete=PROTECT): it stays, deleted, with them.
            kept = sorted({type(row)._meta.verbose_name for row in error.protected_objects})
            logger.warning(
                "%s was not purged: its %s are records to keep", organisation.code, ", ".join(kept)
            )
    return purged


def may_sign_in(user) -> bool:
    """May this person use the portal (and keep an enabled directory account)? Not when they
    are disabled, before their start date or from their end date, or when their organisation
    is suspended, leaving or gone."""
    if not user.is_active:
        return False
    today = timezone.localdate()
    if user.not_started(today) or user.has_left(today):
        return False  # a joiner before their start date, a leaver from their end date
    organisation = user.organisation
    return organisation is None or organisation.status not in LOCKED_STATUSES


# --- What the job engine reports ---------------------------------------------------------


def job_finished(
    organisation_id: int | None,
    *,
    expected: set[str],
    target: str,
    provisioned: bool = False,
    then_delete: bool = False,
) -> None:
    """A (de)provisioning job ended: move the organisation on, if it is still where the job
    left it (someone may have acted meanwhile). ``provisioned`` records that its OU tree
    exists, which locks its code from now on, and releases the user jobs held for it.
    ``then_delete`` (a Deprovision and delete) deletes it once it is deprovisioned, unless
    something came to depend on it meanwhile."""
    if organisation_id is None:
        return
    organisation = Organisation.objects.select_for_update().get(pk=organisation_id)
    fields = []
    moves = organisation.status in expected and organisation.status != target
    if moves and can_move(organisation, target):
        _move(organisation, target)
        fields.append("status")
    if provisioned and organisation.provisioned_at is None:
        organisation.provisioned_at = timezone.now()
        fields.append("provisioned_at")
    if (
        then_delete
        and organisation.status == Status.DEPROVISIONED
        and not dependents(organisation, Status.DELETED).exists()
    ):
        _report_move(organisation, organisation.status, Status.DELETED)
        organisation.status = Status.DELETED
        organisation.status_before_deletion = Status.DEPROVISIONED
        organisation.deleted_at = timezone.now()
        fields += ["status", "status_before_deletion", "deleted_at"]
    if fields:
        organisation._history_user = None
        organisation.save(update_fields=[*dict.fromkeys(fields), "updated"])
    if provisioned:
        # Users made while it was a draft now get the passwords their admins chose.
        release_held_jobs(organisation_id)


def adopted(organisation: Organisation, *, actor: Any, guid) -> None:
    """A tenant taken over from the directory as it is (``provisioning.actions.adoption``):
    it is in AD already, so it is active and provisioned at once, anchored by its OU's GUID."""
    organisation.status = Status.ACTIVE
    organisation.directory_guid = guid
    organisation.provisioned_at = timezone.now()
    _save(organisation, actor, "directory_guid", "provisioned_at")


def job_retried(job: Job, *, actor: Any) -> None:
    """A failed (de)provisioning job runs again: its organisation goes back to that step."""
    target = RETRY_STATUS.get(job.kind)
    if target is None or job.organisation_id is None:
        return
    organisation = Organisation.objects.select_for_update().get(pk=job.organisation_id)
    if organisation.status == Status.FAILED:
        _move(organisation, target)
        _save(organisation, actor)


def job_cancelled(job: Job, *, actor: Any) -> None:
    """A cancelled (de)provisioning leaves its organisation failed, so it can be provisioned
    or deprovisioned again later."""
    step = RETRY_STATUS.get(job.kind)
    if step is None or job.organisation_id is None:
        return
    organisation = Organisation.objects.select_for_update().get(pk=job.organisation_id)
    if organisation.status == step:
        _move(organisation, Status.FAILED)
        _save(organisation, actor)
