"""The one scoping API: which organisations, users and jobs may this user see or change?

Every grant is a django-guardian object permission on an organisation (direct foreign-key
rows, ``OrganisationUserObjectPermission``) and holds on that organisation's whole subtree.
A subtree is an MPTT range ``(tree_id, lft, rght)``, or a provider's whole forest (below), so
"everything the user may view" is a union of ranges: one query fetches every range the user
holds, for every permission at once, and the result is cached on the user object, which Django
builds afresh for each request.

Models opt in with two class attributes:

- ``scope_path``: the lookup from the model to its organisation (``""`` for Organisation,
  ``"organisation__"`` for users, contacts, jobs ...);
- ``scope_permissions``: action -> permission codename on Organisation
  (``{"view": "view_users", ...}``).

``Model.objects.restrict(user, action)`` then returns only the rows inside the ranges.
Views use ``core.views.visible_or_404`` (a 404 on foreign objects) and ``core.views.require``
(a 403 on what is visible but not allowed).

An API key acts as its owner, narrowed: ``limit(user, codenames, organisation)`` marks the
request's user object so that every answer here is the owner's current scope intersected with
the key's codenames and subtree. Nothing else needs to know about keys; a role taken from the
owner narrows the key at once, because the owner's scope is read afresh on every request.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from mptt.managers import TreeManager
from mptt.querysets import TreeQuerySet

from core.actors import SYSTEM

# An organisation, typed loosely: ``core`` does not import ``customers``.
Organisation = models.Model

_CACHE_ATTRIBUTE = "_canopy_scope"
_LIMITS_ATTRIBUTE = "_canopy_limits"
EVERYTHING = "__all__"

# The organisations are a forest of django-mptt trees, not one tree per provider: a write
# renumbers only the tree it happens in. A provider's tree id is a multiple of FOREST_SPAN and
# its tree holds the provider alone; each organisation directly below it (a reseller or a
# customer) roots a tree of its own, with an id among the next FOREST_SPAN - 1. "Below the
# provider" is then the tree-id range [provider's id, provider's id + FOREST_SPAN), which the
# (tree_id, lft) index serves as it serves a subtree.
FOREST_SPAN = 1_000_000


def forest_of(tree_id: int) -> int:
    """The tree id of the provider whose forest holds tree ``tree_id``."""
    return tree_id - tree_id % FOREST_SPAN


def is_forest_root(tree_id: int) -> bool:
    """Is ``tree_id`` a provider's own tree (whose subtree is its whole forest)?"""
    return tree_id % FOREST_SPAN == 0


@dataclass(frozen=True, order=True)
class SubtreeRange:
    """One organisation's subtree: every node with the same tree and lft inside [lft, rght];
    a provider's: every tree of its forest."""

    tree_id: int
    lft: int
    rght: int

    @property
    def whole_forest(self) -> bool:
        return is_forest_root(self.tree_id)

    def contains(self, tree_id: int, lft: int) -> bool:
        if self.whole_forest:
            return self.tree_id <= tree_id < self.tree_id + FOREST_SPAN
        return tree_id == self.tree_id and self.lft <= lft <= self.rght

    def q(self, path: str = "") -> Q:
        """A filter for organisations (reached through ``path``) inside this subtree."""
        if self.whole_forest:
            return Q(
                **{
                    f"{path}tree_id__gte": self.tree_id,
                    f"{path}tree_id__lt": self.tree_id + FOREST_SPAN,
                }
            )
        return Q(
            **{
                f"{path}tree_id": self.tree_id,
                f"{path}lft__gte": self.lft,
                f"{path}lft__lte": self.rght,
            }
        )


@dataclass(frozen=True)
class Limits:
    """What an API key leaves of its owner's power: these codenames, inside this subtree."""

    codenames: frozenset[str]
    subtree: SubtreeRange

    def narrow(self, codename: str, ranges: tuple[SubtreeRange, ...] | str):
        if codename not in self.codenames:
            return ()
        if ranges == EVERYTHING:
            return (self.subtree,)
        # Subtrees are nested or apart, never overlapping: the intersection of two is the
        # smaller one or nothing.
        kept = set()
        for held in ranges:
            if held.contains(self.subtree.tree_id, self.subtree.lft):
                kept.add(self.subtree)
            elif self.subtree.contains(held.tree_id, held.lft):
                kept.add(held)
        return _merge(kept)


def limit(user, codenames, organisation: Organisation):
    """Narrow ``user`` (this request's object, never saved) to ``codenames`` inside
    ``organisation``'s subtree: how an API key acts. Returns the same object."""
    setattr(
        user,
        _LIMITS_ATTRIBUTE,
        Limits(
            frozenset(codenames),
            SubtreeRange(organisation.tree_id, organisation.lft, organisation.rght),
        ),
    )
    return user


def limits_of(user) -> Limits | None:
    return getattr(user, _LIMITS_ATTRIBUTE, None)


def unlimited(actor) -> bool:
    """May ``actor`` do anything: the portal itself, or an enabled superuser acting without an
    API key's limits (a superuser's key is only as strong as its scopes)."""
    if actor is SYSTEM:
        return True
    return bool(
        getattr(actor, "is_superuser", False)
        and getattr(actor, "is_active", False)
        and limits_of(actor) is None
    )


def _merge(ranges: set[SubtreeRange]) -> tuple[SubtreeRange, ...]:
    """Drop ranges nested in another: a grant on a reseller already covers its customers."""
    merged: list[SubtreeRange] = []
    for candidate in sorted(ranges):
        last = merged[-1] if merged else None
        if last and last.contains(candidate.tree_id, candidate.lft):
            continue
        merged.append(candidate)
    return tuple(merged)


def _model(name: str) -> type[models.Model]:
    """A customers model by name. ``core`` sits below ``customers`` and never imports it; the
    app registry hands over the class once every app is loaded."""
    return apps.get_model("customers", name)


def _load_scope(user) -> dict[str, tuple[SubtreeRange, ...]]:
    """Every (permission -> subtree ranges) the user holds, in one query."""
    rows = (
        _model("OrganisationUserObjectPermission")
        .objects.filter(user_id=user.pk)
        .values_list(
            "permission__codename",
            "content_object__tree_id",
            "content_object__lft",
            "content_object__rght",
        )
    )
    collected: dict[str, set[SubtreeRange]] = defaultdict(set)
    for codename, tree_id, lft, rght in rows:
        collected[codename].add(SubtreeRange(tree_id, lft, rght))
    return {codename: _merge(ranges) for codename, ranges in collected.items()}


def ranges_for(user, codename: str) -> tuple[SubtreeRange, ...] | str:
    """The subtrees where ``user`` holds ``codename``; ``EVERYTHING`` for superusers and for
    the portal itself (``SYSTEM``)."""
    if user is SYSTEM:
        return EVERYTHING
    if user is None or not user.is_authenticated or not user.is_active:
        return ()
    limits = limits_of(user)
    if user.is_superuser:
        return EVERYTHING if limits is None else limits.narrow(codename, EVERYTHING)
    scope = getattr(user, _CACHE_ATTRIBUTE, None)
    if scope is None:
        scope = _load_scope(user)
        setattr(user, _CACHE_ATTRIBUTE, scope)
    held = scope.get(codename, ())
    return held if limits is None else limits.narrow(codename, held)


def scope_fingerprint(user) -> str | None:
    """A short digest of everything ``user`` holds (their role grants' version): it changes
    whenever a grant or revoke changes their scope, or a tree write moves a granted subtree,
    so a cache keyed by it never serves what an old scope allowed. Reads the scope the
    request loads anyway (no query of its own once loaded). None when a cache must not be
    used: anonymous, the portal itself, or narrowed by an API key's limits."""
    if user is SYSTEM or user is None or not user.is_authenticated or limits_of(user) is not None:
        return None
    if user.is_superuser or not user.is_active:
        material = f"{user.pk}:{user.is_superuser}:{user.is_active}"
    else:
        ranges_for(user, "")  # loads and caches the scope on the user
        scope = getattr(user, _CACHE_ATTRIBUTE)
        material = f"{user.pk}:" + repr(sorted(scope.items()))
    return hashlib.blake2b(material.encode(), digest_size=12).hexdigest()


def forget_scope(user) -> None:
    """Drop the cached scope (after a grant or revoke changes it within one request)."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def permission_for(model: type[models.Model], action: str) -> str:
    try:
        return model.scope_permissions[action]
    except (AttributeError, KeyError):
        raise ValueError(f"{model.__name__} has no scope permission for {action!r}") from None


def scope_q(ranges: tuple[SubtreeRange, ...], path: str) -> Q:
    """A filter matching organisations (reached through ``path``) inside ``ranges``."""
    condition = Q(pk__in=[])
    for subtree in ranges:
        condition |= subtree.q(path)
    return condition


def within(organisation: Organisation, path: str = "") -> Q:
    """A filter for what lies in ``organisation``'s subtree (the organisation one acts in)."""
    return SubtreeRange(organisation.tree_id, organisation.lft, organisation.rght).q(path)


def decider(organisation: Organisation) -> Organisation:
    """Who decides about ``organisation``: its parent, or the provider about itself.

    Lifecycle, services and limits are decided one level up, so a reseller cannot suspend
    itself or raise its own limits.
    """
    return organisation.parent or organisation


def may_decide(user, organisation: Organisation, codename: str) -> bool:
    return has_permission(user, codename, decider(organisation))


def has_permission(user, codename: str, organisation: Organisation) -> bool:
    """Does ``user`` hold ``codename`` on ``organisation`` (through any ancestor)?"""
    ranges = ranges_for(user, codename)
    if ranges == EVERYTHING:
        return True
    return any(r.contains(organisation.tree_id, organisation.lft) for r in ranges)


def effective_codenames(user, organisation: Organisation) -> set[str]:
    """Every codename ``user`` holds on ``organisation``, through it or any ancestor, whatever
    role or flag gave it (one query, never cached: it judges someone else than the viewer)."""
    if user is SYSTEM or getattr(user, "is_superuser", False):
        return {"__superuser__"}
    if user is None or user.pk is None:
        return set()
    in_tree = Q(
        content_object__tree_id=organisation.tree_id,
        content_object__lft__lte=organisation.lft,
        content_object__rght__gte=organisation.lft,
    )
    # The provider roots a tree of its own: its grants hold on every tree of its forest.
    on_provider = Q(content_object__tree_id=forest_of(organisation.tree_id))
    return set(
        _model("OrganisationUserObjectPermission")
        .objects.filter(in_tree | on_provider, user_id=user.pk)
        .values_list("permission__codename", flat=True)
    )


def holds_all(user, codenames: set[str], organisation: Organisation) -> bool:
    """Does ``user`` hold every one of ``codenames`` on ``organisation``? A superuser's
    power (``"__superuser__"``) is held only by superusers and the portal itself."""
    if "__superuser__" in codenames and ranges_for(user, "view_organisation") != EVERYTHING:
        return False
    return all(
        has_permission(user, codename, organisation) for codename in codenames - {"__superuser__"}
    )


def organisation_of(obj: Any) -> Organisation:
    if isinstance(obj, _model("Organisation")):
        return obj
    return obj.organisation


def can(user, action: str, obj: Any) -> bool:
    """May ``user`` perform ``action`` (a model action or an Organisation codename) on obj?"""
    model = type(obj)
    codename = model.scope_permissions.get(action, action)
    return has_permission(user, codename, organisation_of(obj))


def require_permission(actor, codename: str, organisation: Organisation, message: str = "") -> None:
    """PermissionDenied (a 403) unless ``actor`` holds ``codename`` on ``organisation``: the one
    check the actions and ``core.views.require`` share."""
    if not has_permission(actor, codename, organisation):
        raise PermissionDenied(message or None)


def ensure_still_visible(user, obj: models.Model) -> None:
    """After a write, inside its transaction: the object must still be in the writer's scope.

    Raising here rolls the transaction back, so nobody can move an object out of their reach
    (for example by re-parenting a customer under a foreign reseller).
    """
    model = type(obj)
    if not model.objects.restrict(user, "view").filter(pk=obj.pk).exists():
        raise PermissionDenied(_("The change would move this object outside your organisations."))


class ScopedQuerySetMixin:
    """Adds ``restrict(user, action)`` to a model's querysets."""

    def restrict(self, user, action: str = "view"):
        return self.holding(user, permission_for(self.model, action))

    def holding(self, user, codename: str):
        """The rows inside the subtrees where ``user`` holds ``codename`` (``restrict`` by a
        permission rather than an action: "organisations whose jobs I may see")."""
        ranges = ranges_for(user, codename)
        if ranges == EVERYTHING:
            return self
        if not ranges:
            return self.none()
        return self.filter(scope_q(ranges, self.model.scope_path))


class ScopedQuerySet(ScopedQuerySetMixin, models.QuerySet):
    pass


class ScopedTreeQuerySet(ScopedQuerySetMixin, TreeQuerySet):
    pass


class RestrictedManager(TreeManager):
    """Tree manager for Organisation (mptt needs its own manager)."""


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)
