"""Granting and revoking security roles, and cloning admin roles for a customer."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.actors import SYSTEM, recorded_user
from core.scoping import forget_scope, has_permission, ranges_for
from customers.actions.security_events import record_security_event
from customers.models import (
    Organisation,
    OrganisationUserObjectPermission,
    Role,
    RoleGrant,
    SecurityEventKind,
    User,
)


def grantable_roles(actor: User, organisation: Organisation):
    """Roles ``actor`` may grant on ``organisation``.

    A role is grantable when the organisation allows it (its own allowed roles, or, for the
    provider, every system role) and is not restricted there, and the actor holds every
    permission of the role on the organisation: nobody can hand out power they do not have.
    """
    if organisation.is_provider:
        candidates = Role.objects.filter(organisation__isnull=True)
    else:
        candidates = organisation.allowed_roles.all()
    # Service security roles (VPN Admin): available where, and only where, the service is
    # provisioned.
    provisioned = organisation.services.exclude(status="deprovisioning").values("service")
    service_roles = Role.objects.filter(organisation__isnull=True, service__in=provisioned)
    candidates = (
        (candidates | Role.objects.filter(organisation=organisation) | service_roles)
        .exclude(pk__in=organisation.restricted_roles.values("pk"))
        .exclude(Q(service__isnull=False) & ~Q(service__in=provisioned))
    )
    candidates = candidates.distinct().prefetch_related("permissions")
    return [
        role
        for role in candidates
        if all(has_permission(actor, codename, organisation) for codename in role.codenames())
    ]


def _check_may_grant(actor: User, organisation: Organisation, role: Role) -> None:
    if not has_permission(actor, "grant_roles", organisation):
        raise PermissionDenied(_("You may not grant roles on this organisation."))
    if role not in grantable_roles(actor, organisation):
        raise PermissionDenied(
            f"You may not grant the role {role.name!r} on {organisation.name!r}."
        )


@transaction.atomic
def grant_role(*, actor: Any, user: User, organisation: Organisation, role: Role) -> RoleGrant:
    """Give ``user`` the permissions of ``role`` on ``organisation`` and its subtree.

    ``actor=SYSTEM`` is the system itself (data seeding, provisioning of a first admin).
    """
    if actor is not SYSTEM:
        _check_may_grant(actor, organisation, role)
    # Fresh tree values: instances loaded earlier may predate inserts elsewhere in the tree.
    home = Organisation.objects.filter(pk=user.organisation_id).first()
    organisation.refresh_from_db(fields=["tree_id", "lft", "rght"])
    if home is None or not home.holds(organisation):
        # People hold roles on their own organisation or on organisations below it.
        raise ValidationError(_("Roles can only be granted to users of this organisation."))
    grant, created = RoleGrant.objects.get_or_create(
        user=user,
        organisation=organisation,
        role=role,
        defaults={"granted_by": recorded_user(actor)},
    )
    rows = [
        OrganisationUserObjectPermission(
            user=user, permission=permission, content_object=organisation
        )
        for permission in role.permissions.all()
    ]
    OrganisationUserObjectPermission.objects.bulk_create(rows, ignore_conflicts=True)
    # The roles every new user gets from the portal carry no permission: no event for those.
    if created and (rows or actor is not SYSTEM):
        record_security_event(
            kind=SecurityEventKind.ROLE_GRANTED,
            actor=actor,
            subject=user,
            organisation=organisation,
            detail=_role_detail(role, organisation),
        )
    if role.is_admin_role and user.organisation_id == organisation.pk and not user.is_admin:
        user.is_admin = True
        user.save(update_fields=["is_admin"])
    forget_scope(user)
    return grant


@transaction.atomic
def revoke_role(*, actor: Any, grant: RoleGrant) -> None:
    """Remove exactly the permissions that this grant gave and no other grant still gives."""
    if not has_permission(actor, "grant_roles", grant.organisation):
        raise PermissionDenied(_("You may not revoke roles on this organisation."))
    # Nobody takes away power they do not hold themselves (as nobody hands it out).
    if not all(
        has_permission(actor, codename, grant.organisation) for codename in grant.role.codenames()
    ):
        raise PermissionDenied(
            _("You may not revoke the role %(role)s.") % {"role": grant.role.name}
        )
    user, organisation = grant.user, grant.organisation
    grant.delete()
    record_security_event(
        kind=SecurityEventKind.ROLE_REVOKED,
        actor=actor,
        subject=user,
        organisation=organisation,
        detail=_role_detail(grant.role, organisation),
    )
    still_given = set(
        RoleGrant.objects.filter(user=user, organisation=organisation).values_list(
            "role__permissions", flat=True
        )
    )
    OrganisationUserObjectPermission.objects.filter(user=user, content_object=organisation).exclude(
        permission_id__in=still_given - {None}
    ).delete()
    if not RoleGrant.objects.filter(
        user=user, organisation=user.organisation_id, role__is_admin_role=True
    ).exists():
        User.objects.filter(pk=user.pk).update(is_admin=False)
    forget_scope(user)


def _role_detail(role: Role, organisation: Organisation) -> str:
    return _("%(role)s on %(organisation)s") % {
        "role": role.name,
        "organisation": organisation.name,
    }


def _free_role_name(base: str) -> str:
    """``base``, or ``base (2)``, ``base (3)`` ...: the first name no role has yet."""
    base = base[:140]
    taken = set(Role.objects.filter(name__startswith=base).values_list("name", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base} ({number})" in taken:
        number += 1
    return f"{base} ({number})"


@transaction.atomic
def clone_admin_role(*, actor: Any, source: Role, organisation: Organisation) -> Role:
    """Cloned Admin Role: a copy of ``source`` named after the customer.

    The copy belongs to the customer and is allowed there; it is what the Default Admin Role
    field shows and what the customer's first administrator receives.

    A clone is found again by (customer, source), never by name: a name is only a label, and
    a customer renamed so that "<name> <source>" spells an existing, stronger role must not
    be handed that role. The actor must hold every permission of the role returned.
    """
    if not all(has_permission(actor, codename, organisation) for codename in source.codenames()):
        raise PermissionDenied(f"You may not clone the role {source.name!r}.")
    role = (
        Role.objects.select_for_update()
        .filter(organisation=organisation, cloned_from=source)
        .order_by("pk")
        .first()
    )
    if role is None:
        role = Role.objects.create(
            name=_free_role_name(f"{organisation.name} {source.name}"),
            description=f"Cloned from {source.name} for {organisation.name}"[:500],
            organisation=organisation,
            cloned_from=source,
            is_admin_role=source.is_admin_role,
        )
        role.permissions.set(source.permissions.all())
    if not all(has_permission(actor, codename, organisation) for codename in role.codenames()):
        raise PermissionDenied(f"You may not grant the role {role.name!r}.")
    organisation.allowed_roles.add(role)
    return role


def visible_role_holders(actor: User, organisation: Organisation):
    """Grants on ``organisation`` that ``actor`` may see (for the roles tab)."""
    if ranges_for(actor, "view_users") == ():
        return RoleGrant.objects.none()
    return RoleGrant.objects.restrict(actor, "view").filter(organisation=organisation)
