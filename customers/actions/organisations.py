"""Creating and editing organisations, their domains and contacts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.actors import SYSTEM, recorded_user
from core.jobs import JobKind, request_job
from core.models import Job
from core.scoping import ensure_still_visible, has_permission, may_decide, require_permission
from customers.actions import webhooks
from customers.actions.codes import generate_code
from customers.actions.limits import check_service_allocation, check_user_limit
from customers.actions.roles import grant_role
from customers.models import (
    CustomerService,
    Domain,
    Organisation,
    Plan,
    Role,
    ServiceType,
    SubscriptionStatus,
    Tag,
    WebhookEvent,
)
from customers.models.organisation import CLOSED_STATES, EDITABLE_FIELDS, PARENT_DECIDED_FIELDS
from customers.models.validators import normalise_domain, unavailable

# Quick-created customers get these roles as their allowed set: what a customer needs to
# run itself, nothing that reaches above it.
DEFAULT_ALLOWED_ROLES = ["Customer Admin", "Help Desk", "User"]
# ...and these as their restricted set: a customer's admins never hand out provider power.
DEFAULT_RESTRICTED_ROLES = ["Provider Admin", "Reseller Admin"]


@transaction.atomic
def create_organisation(
    *,
    actor: Any,
    parent: Organisation | None,
    name: str,
    code: str = "",
    domains: Iterable[str] = (),
    allowed_roles: Iterable[Role] | None = None,
    restricted_roles: Iterable[Role] | None = None,
    tags: Iterable[Any] = (),
    **fields: Any,
) -> Organisation:
    """Create a draft organisation below ``parent`` (``None`` makes the provider root).

    The first domain given is the primary one. Without a domain, nothing is invented here:
    users' UPNs then fall back to the nearest ancestor's primary domain.
    """
    # Only the portal itself creates the root (the provider, when it is set up).
    allowed = actor is SYSTEM if parent is None else has_permission(actor, "add_customer", parent)
    if not allowed:
        raise PermissionDenied(_("You may not create customers here."))
    if parent is not None:
        parent = lock_tree(parent)
    organisation = Organisation(
        parent=parent, name=name, code=code or generate_code(name), **fields
    )
    organisation.created_by = recorded_user(actor)
    organisation._history_user = recorded_user(actor)
    organisation.full_clean(exclude=["parent"])
    if parent is not None:
        # A reseller's users are a pool: its customers' limits come out of it.
        check_user_limit(organisation, organisation.user_limit)
    save_with_free_code(organisation, generated=not code)
    if organisation.is_reseller and parent is not None:
        hold_reseller_service(organisation)
    for position, domain_name in enumerate(dict.fromkeys(map(normalise_domain, domains))):
        try:
            add_domain(
                actor=SYSTEM, organisation=organisation, name=domain_name, primary=position == 0
            )
        except ValidationError as error:
            # Keyed by this function's own argument: "name" here is the customer's name.
            raise ValidationError({"domains": error.messages}) from error
    wants_restricted = not organisation.is_reseller and parent is not None
    if allowed_roles is None or (restricted_roles is None and wants_restricted):
        # The defaults in one query; a new organisation has no roles or tags yet, so each
        # relation is added to (one INSERT), not set (a SELECT of what is there first).
        defaults = list(
            Role.objects.filter(name__in=DEFAULT_ALLOWED_ROLES + DEFAULT_RESTRICTED_ROLES)
        )
        if allowed_roles is None:
            allowed_roles = [r for r in defaults if r.name in DEFAULT_ALLOWED_ROLES]
        if restricted_roles is None and wants_restricted:
            restricted_roles = [r for r in defaults if r.name in DEFAULT_RESTRICTED_ROLES]
    organisation.allowed_roles.add(*allowed_roles)
    if restricted_roles is not None:
        organisation.restricted_roles.add(*restricted_roles)
    if tags:
        organisation.tags.add(*tags)
    ensure_still_visible(actor, organisation)
    webhooks.emit(
        WebhookEvent.CUSTOMER_CREATED,
        organisation.pk,
        {
            "id": organisation.pk,
            "code": organisation.code,
            "name": organisation.name,
            "parent": organisation.parent_id,
            "status": organisation.status,
        },
    )
    return organisation


# A generated code lost to a parallel request is generated again, this many times at most.
CODE_ATTEMPTS = 5


def save_with_free_code(organisation: Organisation, *, generated: bool) -> None:
    """Insert the organisation; when its code was generated and a parallel request took the
    same one between the look-up and the insert, generate the next free one and try again
    (each attempt in a savepoint, so the failed insert leaves the transaction usable).
    A code the person typed is theirs to change: its clash stays an error on the Code field."""
    for attempt in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                organisation.save()
            return
        except IntegrityError:
            if not Organisation.objects.filter(code=organisation.code).exists():
                raise  # not the code: a bug, not a clash
            if not generated:
                raise ValidationError(
                    {"code": _("Another organisation already uses this code.")}
                ) from None
            if attempt == CODE_ATTEMPTS - 1:
                raise ValidationError(
                    {"name": _("No free code could be made from this name; try again.")}
                ) from None
            # mptt placed the node in memory from the failed insert: start from fresh rows.
            organisation.pk = None
            if organisation.parent_id is not None:
                organisation.parent = Organisation.objects.get(pk=organisation.parent_id)
            organisation.code = generate_code(organisation.name)


def hold_reseller_service(organisation: Organisation) -> None:
    """A reseller made directly (seeding, the admin) holds the Reseller service, as one
    made through the catalogue does: its customers can then be made resellers in turn."""
    plan = Plan.objects.filter(service__service_type=ServiceType.RESELLER).first()
    if plan is not None:
        CustomerService.objects.get_or_create(
            organisation=organisation,
            service=plan.service,
            defaults={"plan": plan, "status": SubscriptionStatus.ACTIVE},
        )


def lock_tree(node: Organisation, *others: Organisation) -> Organisation:
    """Lock the root row of ``node``'s tree (and of each of ``others``') and return ``node``
    with fresh tree values.

    django-mptt computes new positions from the parent's ``rght`` in memory; two inserts in
    one tree at once would both use the same value. The root lock serialises them, per tree
    only: each organisation directly below the provider roots its own tree, so writes under
    different resellers do not wait for each other. The provider's tree is the provider
    alone; its lock serialises the choice of a new top-level tree's id. Several trees are
    locked in tree-id order, so two moves in opposite directions cannot deadlock.
    """
    tree_ids = sorted({n.tree_id for n in (node, *others)})
    list(
        Organisation.objects.select_for_update()
        .filter(tree_id__in=tree_ids, tree_parent__isnull=True)
        .order_by("tree_id")
        .values_list("pk", flat=True)
    )
    return Organisation.objects.get(pk=node.pk)


@transaction.atomic
def add_domain(
    *, actor: Any, organisation: Organisation, name: str, primary: bool = False
) -> Domain:
    require_permission(actor, "change_organisation", organisation)
    check_domain_free(name, organisation)
    domain = Domain(organisation=organisation, name=normalise_domain(name), is_primary=primary)
    domain._history_user = recorded_user(actor)
    domain.full_clean(validate_unique=False)
    if primary:
        organisation.domains.filter(is_primary=True).update(is_primary=False)
    domain.save()
    return domain


def default_upn_domain(organisation: Organisation) -> str | None:
    """The customer's primary domain, or else the nearest ancestor's (a customer without a
    domain of its own lives under its reseller's)."""
    for node in organisation.get_ancestors(ascending=True, include_self=True):
        primary = node.domains.filter(is_primary=True).first()
        if primary is not None:
            return primary.name
    return None


def forest_domain() -> str:
    """The directory's own DNS name (``DC=canopy,DC=test`` -> ``canopy.test``), or ""."""
    parts = []
    for component in settings.DIRECTORY_BASE_DN.split(","):
        key, _sep, value = component.strip().partition("=")
        if key.strip().lower() == "dc" and value.strip():
            parts.append(value.strip().lower())
    return ".".join(parts)


def _parents(name: str) -> list[str]:
    """``a.b.example`` -> ``["b.example", "example"]``."""
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(1, len(labels))]


def domain_problems(name: str, organisation: Organisation | None = None) -> list[str]:
    """Why ``organisation`` (``None``: one not created yet) may not claim ``name``.

    A name that is the forest's own, or inside it, would let a customer sign users in as the
    directory's own accounts; a name below or above another tenant's domain would let it
    take over that tenant's addresses (verification is by DNS, and whoever holds a parent
    zone can publish a record for a child). The same organisation may hold both.
    """
    name = normalise_domain(name)
    forest = forest_domain()
    if forest and (name == forest or name.endswith(f".{forest}")):
        return [
            _("%(name)s is the directory's own domain or inside it: it cannot be a customer's.")
            % {"name": name}
        ]
    others = Domain.objects.all()
    if organisation is not None and organisation.pk is not None:
        others = others.exclude(organisation=organisation)
    if others.filter(name=name).exists():
        return [unavailable("domain", name)]
    related = others.filter(Q(name__in=_parents(name)) | Q(name__endswith=f".{name}"))
    if related.exists():
        return [
            _(
                "%(name)s is a subdomain or a parent domain of a domain another customer "
                "holds: it cannot be added."
            )
            % {"name": name}
        ]
    return []


def check_domain_free(name: str, organisation: Organisation | None = None) -> None:
    problems = domain_problems(name, organisation)
    if problems:
        raise ValidationError({"name": problems})


def tags_from_names(names: Iterable[str]) -> list[Tag]:
    """Tags by name, created when new (the tag box takes free text)."""
    tags = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        tag, _created = Tag.objects.get_or_create(name=name)
        tags.append(tag)
    return tags


@transaction.atomic
def update_organisation(
    *,
    actor: Any,
    organisation: Organisation,
    changes: dict[str, Any],
    tags: Iterable[Tag] | None = None,
    allowed_roles: Iterable[Role] | None = None,
    restricted_roles: Iterable[Role] | None = None,
) -> Organisation:
    """Edit an organisation's fields; the code is locked once it is provisioned.

    Its own admins may change its details; code, billing flags, limits, tags and roles are
    decided by whoever may change the parent (a customer cannot raise its own user limit).
    """
    require_permission(
        actor, "change_organisation", organisation, _("You may not edit this organisation.")
    )
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Not editable here: {sorted(unknown)}")
    changed = {k for k, v in changes.items() if getattr(organisation, k) != v}
    parent_side = (changed & PARENT_DECIDED_FIELDS) or any(
        value is not None for value in (tags, allowed_roles, restricted_roles)
    )
    if parent_side and not may_decide(actor, organisation, "change_organisation"):
        raise PermissionDenied(_("Only the parent reseller or the provider may change these."))
    if "code" in changed and organisation.code_locked:
        raise ValidationError(
            {"code": _("The code cannot change once the customer is provisioned.")}
        )
    if "user_limit" in changed and organisation.parent_id is not None:
        # Root first, then the parent's pool: the order every insert into the tree takes.
        lock_tree(organisation)
        check_user_limit(organisation, changes["user_limit"])
    for key, value in changes.items():
        setattr(organisation, key, value)
    organisation._history_user = recorded_user(actor)
    organisation.full_clean(exclude=["parent"])
    organisation.save()
    relation_changes = []
    for label, manager, wanted in (
        ("Tags", organisation.tags, tags),
        ("Allowed security roles", organisation.allowed_roles, allowed_roles),
        ("Restricted security roles", organisation.restricted_roles, restricted_roles),
    ):
        if wanted is None:
            continue
        wanted = list(wanted)
        before = sorted(str(item) for item in manager.all())
        manager.set(wanted)
        after = sorted(str(item) for item in wanted)
        if before != after:
            relation_changes.append([label, ", ".join(before) or "—", ", ".join(after) or "—"])
    if relation_changes:
        record_relation_changes(actor, organisation, relation_changes)
    ensure_still_visible(actor, organisation)
    return organisation


RELATIONS_REASON = "relations:"


def record_relation_changes(actor: Any, organisation: Organisation, changes) -> None:
    """Many-to-many edits leave no trace in a model's own history: write one history row
    whose change reason carries [label, before, after] triples (the History tab shows them)."""
    organisation._history_user = recorded_user(actor)
    organisation._change_reason = RELATIONS_REASON + json.dumps(changes)
    organisation.save(update_fields=["updated"])
    del organisation._change_reason


@transaction.atomic
def make_reseller(*, actor: Any, organisation: Organisation) -> Organisation:
    """What holding the Reseller service means: the customer may create customers and
    sub-resellers, and its administrators receive the Reseller Admin role on it.

    People give the Reseller service (``catalogue.give_reseller_service``), which calls this.
    """
    if organisation.is_provider:
        raise ValidationError(_("The provider is already at the top of the hierarchy."))
    reseller_admin = Role.objects.get(name="Reseller Admin")
    if not (
        may_decide(actor, organisation, "add_customer")
        and all(
            has_permission(actor, codename, organisation) for codename in reseller_admin.codenames()
        )
    ):
        raise PermissionDenied(_("You may not make this customer a reseller."))
    if organisation.is_reseller:
        return organisation
    organisation.is_reseller = True
    organisation._history_user = recorded_user(actor)
    organisation.save(update_fields=["is_reseller", "updated"])
    organisation.restricted_roles.remove(reseller_admin)
    organisation.allowed_roles.add(reseller_admin)
    for admin in organisation.users.filter(is_admin=True, is_active=True):
        grant_role(actor=SYSTEM, user=admin, organisation=organisation, role=reseller_admin)
    return organisation


@transaction.atomic
def apply_organisation_edit(*, actor: Any, organisation: Organisation) -> Job | None:
    """An edit of a provisioned organisation is applied to the directory by an update job."""
    if organisation.provisioned_at is None:
        return None
    return request_job(kind=JobKind.UPDATE_ORGANISATION, organisation=organisation, actor=actor)


def _move_problem(organisation: Organisation, new_parent: Organisation) -> str | None:
    """Why ``organisation`` cannot go below ``new_parent`` (None: it can)."""
    if organisation.parent_id is None:
        return _("The provider is at the top of the hierarchy and cannot be moved.")
    if new_parent.pk == organisation.parent_id:
        return _("%(name)s is already below %(parent)s.") % {
            "name": organisation.name,
            "parent": new_parent.name,
        }
    if organisation.holds(new_parent):
        return _("An organisation cannot be moved below itself or its own customers.")
    if not (new_parent.is_reseller or new_parent.is_provider):
        return _("%(name)s is not a reseller: only resellers have customers.") % {
            "name": new_parent.name
        }
    if new_parent.status in CLOSED_STATES:
        return _("%(name)s is being removed.") % {"name": new_parent.name}
    if organisation.status in CLOSED_STATES:
        return _("%(name)s is being removed: there is nothing to move.") % {
            "name": organisation.name
        }
    if organisation.provisioned_at is not None and new_parent.provisioned_at is None:
        return _(
            "%(name)s is in the directory but %(parent)s is not yet: provision %(parent)s "
            "first, so its OU exists to move into."
        ) % {"name": organisation.name, "parent": new_parent.name}
    return None


@transaction.atomic
def move_organisation(*, actor: Any, organisation: Organisation, new_parent: Organisation):
    """Move a customer or reseller (with everything below it) to another reseller.

    The actor must be allowed to create customers both where it is and where it goes (it
    leaves one reseller's book and joins another's). The new reseller's user pool and
    service seats must hold it, and each service it has must be one the new reseller can
    pass on. In the directory its OU moves under the new parent's OU by a job: the OU and
    every account keep their objectGUIDs, so nothing is re-created.
    """
    if not (
        organisation.parent_id is not None
        and has_permission(actor, "add_customer", organisation.parent)
        and has_permission(actor, "add_customer", new_parent)
    ):
        raise PermissionDenied(_("You may not move this organisation there."))
    organisation = lock_tree(organisation, new_parent)
    new_parent = Organisation.objects.get(pk=new_parent.pk)
    problem = _move_problem(organisation, new_parent)
    if problem:
        raise ValidationError({"new_parent": problem})
    before = organisation.parent
    organisation.parent = new_parent  # what the limit checks below read, before any write
    try:
        check_user_limit(organisation, organisation.user_limit)
        for subscription in CustomerService.objects.filter(organisation=organisation).exclude(
            status=SubscriptionStatus.DEPROVISIONING
        ):
            check_service_allocation(organisation, subscription.service_id, subscription.user_limit)
    except ValidationError as error:
        raise ValidationError({"new_parent": error.messages}) from error
    # Organisation.save moves it in django-mptt's forest: into the new parent's tree, or to a
    # tree of its own when the new parent is the provider.
    organisation._history_user = recorded_user(actor)
    organisation._change_reason = f"Moved from {before.name} to {new_parent.name}"
    organisation.save()
    if organisation.provisioned_at is None:
        return None
    return request_job(
        kind=JobKind.MOVE_ORGANISATION,
        organisation=organisation,
        actor=actor,
        target_label=f"{organisation.name}: to {new_parent.name}"[:300],
    )
