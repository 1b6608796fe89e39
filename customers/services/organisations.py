"""Creating and editing organisations, their domains and contacts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from customers.codes import generate_code
from customers.models import Domain, Organisation, Role, User
from customers.scoping import ensure_still_visible, has_permission
from customers.validators import normalise_domain

# Quick-created customers get these roles as their allowed set (CloudPortal's default set).
DEFAULT_ALLOWED_ROLES = ["Customer Admin", "Help Desk", "User"]


@transaction.atomic
def create_organisation(
    *,
    actor: User | None,
    parent: Organisation | None,
    name: str,
    code: str = "",
    domains: Iterable[str] = (),
    allowed_roles: Iterable[Role] | None = None,
    tags: Iterable[Any] = (),
    **fields: Any,
) -> Organisation:
    """Create a draft organisation below ``parent`` (``None`` makes the provider root).

    The first domain given is the primary one. Without a domain, nothing is invented here:
    users' UPNs then fall back to the nearest ancestor's primary domain (VOSS).
    """
    if actor is not None and (parent is None or not has_permission(actor, "add_customer", parent)):
        raise PermissionDenied("You may not create customers here.")
    if parent is not None:
        parent = lock_tree(parent)
    organisation = Organisation(
        parent=parent, name=name, code=code or generate_code(name), **fields
    )
    organisation.created_by = actor
    organisation._history_user = actor
    organisation.full_clean(exclude=["parent"])
    organisation.save()
    for position, domain_name in enumerate(dict.fromkeys(map(normalise_domain, domains))):
        add_domain(actor=None, organisation=organisation, name=domain_name, primary=position == 0)
    if allowed_roles is None:
        allowed_roles = Role.objects.filter(name__in=DEFAULT_ALLOWED_ROLES)
    organisation.allowed_roles.set(allowed_roles)
    if tags:
        organisation.tags.set(tags)
    if actor is not None:
        ensure_still_visible(actor, organisation)
    return organisation


def lock_tree(node: Organisation) -> Organisation:
    """Lock the tree's root row and return ``node`` with fresh tree values.

    django-mptt computes new positions from the parent's ``rght`` in memory; two inserts in
    one tree at once would both use the same value. The root lock serialises them.
    """
    Organisation.objects.select_for_update().filter(tree_id=node.tree_id, level=0).first()
    return Organisation.objects.get(pk=node.pk)


@transaction.atomic
def add_domain(
    *, actor: User | None, organisation: Organisation, name: str, primary: bool = False
) -> Domain:
    if actor is not None and not has_permission(actor, "change_organisation", organisation):
        raise PermissionDenied
    domain = Domain(organisation=organisation, name=normalise_domain(name), is_primary=primary)
    domain._history_user = actor
    domain.full_clean()
    if primary:
        organisation.domains.filter(is_primary=True).update(is_primary=False)
    domain.save()
    return domain


def default_upn_domain(organisation: Organisation) -> str | None:
    """The customer's primary domain, or else the nearest ancestor's (VOSS's fallback)."""
    for node in organisation.get_ancestors(ascending=True, include_self=True):
        primary = node.domains.filter(is_primary=True).first()
        if primary is not None:
            return primary.name
    return None


def check_domain_free(name: str, organisation: Organisation | None = None) -> None:
    existing = Domain.objects.filter(name=normalise_domain(name))
    if organisation is not None:
        existing = existing.exclude(organisation=organisation)
    if existing.exists():
        raise ValidationError(
            {"name": f"The domain {normalise_domain(name)} already belongs to a customer."}
        )
