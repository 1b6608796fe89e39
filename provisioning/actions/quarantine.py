"""Decisions about what a repair set aside in a tenant's Quarantine OU: adopt a stray
account into the portal, or delete a stray account or group for good."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import recorded_user
from core.jobs import JobKind, request_job
from core.models import Job, JobState, QuarantinedObject, QuarantineState
from core.scoping import has_permission
from customers.actions.users import create_user
from customers.models import User

OPEN = (QuarantineState.QUARANTINED, QuarantineState.DELETING)


def _claim(actor: Any, item: QuarantinedObject, state: str) -> None:
    """Take the decision once: two people deciding at once, only the first counts. An item
    left "being deleted" by a job that was cancelled is open to a decision again."""
    pending = Job.objects.filter(
        kind=JobKind.QUARANTINE_DECISION,
        payload__item=item.pk,
        state__in=[JobState.QUEUED, JobState.RUNNING],
    )
    changed = (
        QuarantinedObject.objects.filter(pk=item.pk, state__in=OPEN)
        .exclude(Exists(pending))
        .update(state=state, decided_at=timezone.now(), decided_by=recorded_user(actor))
    )
    if changed != 1:
        message = _("Someone has already decided about %(name)s.") % {"name": item.name}
        raise ValidationError(message)
    item.refresh_from_db()


def _decision_job(actor: Any, item: QuarantinedObject, decision: str):
    return request_job(
        kind=JobKind.QUARANTINE_DECISION,
        organisation=item.organisation,
        actor=actor,
        payload={"item": item.pk, "decision": decision},
        target_label=f"{item.name} ({item.organisation.code})",
    )


def may_delete(actor: Any, item: QuarantinedObject) -> bool:
    codename = "delete_users" if item.kind == QuarantinedObject.ACCOUNT else "manage_jobs"
    return has_permission(actor, codename, item.organisation)


def may_adopt(actor: Any, item: QuarantinedObject) -> bool:
    return item.kind == QuarantinedObject.ACCOUNT and has_permission(
        actor, "add_users", item.organisation
    )


@transaction.atomic
def delete_quarantined_object(*, actor: Any, item: QuarantinedObject):
    """Delete a quarantined account or group for good (a job; only inside the tenant's
    Quarantine OU)."""
    if not may_delete(actor, item):
        raise PermissionDenied(_("You may not delete this for good."))
    _claim(actor, item, QuarantineState.DELETING)
    return _decision_job(actor, item, "delete")


@transaction.atomic
def adopt_quarantined_account(*, actor: Any, item: QuarantinedObject) -> User:
    """Make a portal user of a quarantined account, anchored by its objectGUID: the account
    keeps its password, leaves quarantine and is enabled as the portal says (its job)."""
    if item.kind != QuarantinedObject.ACCOUNT:
        raise ValidationError(_("Only an account can be adopted into the portal."))
    if not may_adopt(actor, item):
        raise PermissionDenied(_("You may not create users here."))
    organisation = item.organisation
    if User.objects.filter(directory_guid=item.guid).exists():
        raise ValidationError(_("A portal user already has this account."))
    _claim(actor, item, QuarantineState.ADOPTED)
    upn = item.upn
    if not upn:
        domain = organisation.primary_domain
        if domain is None:
            raise ValidationError(
                _("The account has no UPN and %(name)s no domain to give it one.")
                % {"name": organisation.name}
            )
        upn = f"{item.name}@{domain.name}"
    # Its note is cleared before the account's own job (same lock, requested first) moves it.
    _decision_job(actor, item, "adopt")
    details = item.details or {}
    person, _jobs = create_user(
        actor=actor,
        organisation=organisation,
        username=item.name,
        upn=upn,
        first_name=details.get("given_name", "")[:150],
        last_name=details.get("surname", "")[:150],
        display_name=details.get("display_name", ""),
        email=details.get("mail", ""),
    )
    # Before commit, so the account's job finds the account by GUID, not by name.
    User.objects.filter(pk=person.pk).update(directory_guid=item.guid)
    person.directory_guid = item.guid
    return person
