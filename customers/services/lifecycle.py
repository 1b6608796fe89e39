"""The portal-only end of the lifecycle: delete (soft), restore, purge."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from customers.lifecycle import move
from customers.models import Organisation, OrganisationUserObjectPermission, RoleGrant, Status, User
from customers.scoping import has_permission, may_decide


@transaction.atomic
def delete_organisation(*, actor: User | None, organisation: Organisation, confirm_code: str):
    """Delete a deprovisioned customer; it can be restored for ``DELETED_RETENTION_DAYS``.

    Its people cannot sign in from now on (a deleted organisation locks its users out);
    the rows are purged later.
    """
    if not may_decide(actor, organisation, "manage_lifecycle"):
        raise PermissionDenied("You may not delete this organisation.")
    if confirm_code != organisation.code:
        raise ValidationError({"confirm_code": "Type the customer's code exactly to confirm."})
    previous = organisation.status
    move(organisation, Status.DELETED)
    organisation.status_before_deletion = previous
    organisation.deleted_at = timezone.now()
    organisation._history_user = actor
    organisation.save(update_fields=["status", "status_before_deletion", "deleted_at", "updated"])


@transaction.atomic
def restore_organisation(*, actor: User | None, organisation: Organisation) -> None:
    """Provider admins may bring back a deleted customer within the retention period."""
    if actor is not None and not has_permission(actor, "manage_catalogue", organisation):
        raise PermissionDenied("Only provider administrators can restore customers.")
    if organisation.deleted_at is None or organisation.deleted_at < retention_cutoff():
        raise ValidationError("This customer can no longer be restored.")
    move(organisation, Status.DEPROVISIONED)
    organisation.deleted_at = None
    organisation._history_user = actor
    organisation.save(update_fields=["status", "deleted_at", "updated"])


def retention_cutoff():
    return timezone.now() - timedelta(days=settings.DELETED_RETENTION_DAYS)


def purge_deleted_organisations() -> int:
    """Remove every record of customers deleted longer ago than the retention period."""
    purged = 0
    for organisation in Organisation.objects.filter(
        status=Status.DELETED, deleted_at__lt=retention_cutoff()
    ):
        with transaction.atomic():
            OrganisationUserObjectPermission.objects.filter(
                user__organisation=organisation
            ).delete()
            RoleGrant.objects.filter(organisation=organisation).delete()
            organisation.delete()  # cascades to users, domains, contacts, grants; jobs keep a label
            purged += 1
    return purged
