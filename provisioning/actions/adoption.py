"""Adopting a tenant that already lives in AD (another portal's OU) without writing to it.

1. ``start_adoption`` records an `Adoption` and requests a job that reads the OU
   (``read_tenant``, paged, reads only) into a preview: the organisation (code from the OU's
   name, full name from its description), its users, the administrators (members of the
   admin group), the groups that map to services (``<code>-<service code>``), the password
   policy that applies to the AllUsers group, the UPN suffixes; and what blocks adoption
   (a username, UPN, code or domain the portal already has, a user without a UPN) or what
   the first repair would change (an account outside the Users OU, a group nothing maps).
2. ``adopt`` creates the portal records from the preview in one transaction: the customer,
   active and anchored by the OU's objectGUID; its domains (verified: the directory already
   uses them); users anchored by their objectGUIDs with the logon names AD has, admins with
   the customer's admin role; subscriptions for the mapped groups; the password policy's
   settings. It checks the customer's user limit and the parent's pool first. Nothing is
   written to AD; a report-only reconcile follows, so the customer's page says at once
   whether the directory matches.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from ldap3 import Connection

from core.actors import SYSTEM
from core.jobs import JobKind, request_job
from core.scoping import has_permission
from customers.actions import lifecycle
from customers.actions.imports import _grant_plain_role
from customers.actions.organisations import create_organisation, domain_problems
from customers.models import (
    CustomerService,
    Organisation,
    Role,
    Service,
    ServiceType,
    SubscriptionStatus,
    User,
    UserService,
)
from directory import (
    NoSuchObjectError,
    and_,
    dn_key,
    eq,
    integer,
    ou_dn,
    parent_of,
    policies_applying_to,
    rdn_value,
    read_entry,
    search_pages,
    text,
    texts,
)
from provisioning.actions.jobs import request_reconcile
from provisioning.job_plans import layout
from provisioning.models import Adoption, AdoptionState, DirectoryObject

ACCOUNT_DISABLED = 0x2
_ACCOUNTS = and_(eq("objectCategory", "person"), eq("objectClass", "user"))
_USER_ATTRIBUTES = [
    "userPrincipalName",
    "sAMAccountName",
    "givenName",
    "sn",
    "displayName",
    "mail",
    "description",
    "userAccountControl",
    "memberOf",
]


def start_adoption(
    *, actor: Any, parent: Organisation, ou_dn: str, admin_group: str = ""
) -> Adoption:
    """Record an adoption and request the job that reads the OU (nothing is written)."""
    if not has_permission(actor, "add_customer", parent):
        raise PermissionDenied(_("You may not create customers here."))
    with transaction.atomic():
        adoption = Adoption.objects.create(
            parent=parent,
            ou_dn=ou_dn.strip(),
            admin_group=admin_group.strip(),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        adoption.job = request_job(
            kind=JobKind.ADOPTION_PREVIEW,
            organisation=parent,
            actor=actor,
            payload={"adoption_id": adoption.pk},
            lock_key=f"adoption:{adoption.pk}",
            target_label=_("Read %(ou)s for adoption") % {"ou": adoption.ou_dn[:200]},
        )
        adoption.save(update_fields=["job"])
    return adoption


def _guid(entry) -> str:
    return str(entry["guid"])


Progress = Callable[[int, int], None]


def count_accounts(conn: Connection, base: str) -> int:
    """How many accounts are below ``base``: a paged search reading no attribute but the
    GUID, so the preview can say how far it has read."""
    return sum(len(page) for page in search_pages(conn, base, _ACCOUNTS, attributes=[]))


def read_tenant(
    conn: Connection, adoption: Adoption, *, progress: Progress | None = None
) -> dict[str, Any]:
    """Read the OU (accounts and groups in pages) into the preview; reads only.

    With ``progress``, the accounts are counted first and ``progress(read, total)`` hears
    after each page of accounts how many have been read (the preview job's progress bar)."""
    ou = read_entry(conn, adoption.ou_dn, ["ou", "description"])
    if ou is None:
        raise NoSuchObjectError(f"There is no OU at {adoption.ou_dn}.", dn=adoption.ou_dn)
    code = text(ou, "ou") or rdn_value(adoption.ou_dn)
    name = text(ou, "description") or code
    problems: list[str] = []
    changes: list[str] = []
    users_ou = layout.USERS_OU
    groups_ou = layout.GROUPS_OU
    admin_group = adoption.admin_group or layout.admins_group(code)
    all_users_group = layout.all_users_group(code)

    groups: list[dict[str, Any]] = []
    services = {s.code.lower(): s for s in Service.objects.filter(is_active=True)}
    by_dn: dict[Any, dict[str, Any]] = {}
    for page in search_pages(
        conn, adoption.ou_dn, eq("objectClass", "group"), attributes=["cn", "description"]
    ):
        for entry in page:
            cn = text(entry, "cn") or ""
            maps_to = ""
            if cn.lower() == all_users_group.lower():
                maps_to = "allusers"
            elif cn.lower() == admin_group.lower():
                maps_to = "admins"
            elif cn.lower().startswith(f"{code.lower()}-"):
                service = services.get(cn[len(code) + 1 :].lower())
                if service is not None and service.service_type != ServiceType.DIRECTORY_ACCOUNT:
                    maps_to = f"service:{service.code}"
            if not maps_to:
                changes.append(
                    _("Group %(name)s maps to nothing: the first repair quarantines it.")
                    % {"name": cn}
                )
            group = {"name": cn, "dn": entry["dn"], "guid": _guid(entry), "maps_to": maps_to}
            groups.append(group)
            by_dn[dn_key(entry["dn"])] = group
    mapped = {group["maps_to"]: group for group in groups if group["maps_to"]}
    if "admins" not in mapped:
        problems.append(
            _("No group %(name)s: nobody would be an administrator.") % {"name": admin_group}
        )

    users: list[dict[str, Any]] = []
    domains: Counter[str] = Counter()
    expected_users_ou = dn_key(ou_dn(adoption.ou_dn, users_ou))
    total = read = 0
    if progress is not None:
        total = count_accounts(conn, adoption.ou_dn)
        progress(0, total)
    for page in search_pages(conn, adoption.ou_dn, _ACCOUNTS, attributes=_USER_ATTRIBUTES):
        read += len(page)
        for entry in page:
            upn = (text(entry, "userPrincipalName") or "").lower()
            sam = text(entry, "sAMAccountName") or ""
            if not upn:
                problems.append(_("%(name)s has no UPN.") % {"name": sam or entry["dn"]})
                continue
            domains[upn.partition("@")[2]] += 1
            member_of = [by_dn.get(dn_key(dn)) for dn in texts(entry, "memberOf")]
            maps = {group["maps_to"] for group in member_of if group and group["maps_to"]}
            held = sorted(m.partition(":")[2] for m in maps if m.startswith("service:"))
            if dn_key(parent_of(entry["dn"])) != expected_users_ou:
                changes.append(
                    _("%(upn)s is not in the Users OU: the first repair moves it there.")
                    % {"upn": upn}
                )
            if text(entry, "description"):
                changes.append(
                    _("%(upn)s has a description: the first repair clears it.") % {"upn": upn}
                )
            users.append(
                {
                    "guid": _guid(entry),
                    "username": sam,
                    "upn": upn,
                    "first_name": text(entry, "givenName") or "",
                    "last_name": text(entry, "sn") or "",
                    "display_name": text(entry, "displayName") or "",
                    "email": text(entry, "mail") or "",
                    "enabled": not (integer(entry, "userAccountControl") or 0) & ACCOUNT_DISABLED,
                    "admin": "admins" in maps,
                    "services": held,
                }
            )
        if progress is not None:
            progress(read, max(total, read))

    sub_ous = {}
    for key, name_ in ((layout.KEY_USERS_OU, users_ou), (layout.KEY_GROUPS_OU, groups_ou)):
        found = read_entry(conn, ou_dn(adoption.ou_dn, name_), ["ou"])
        sub_ous[key] = _guid(found) if found is not None else ""
        if found is None:
            changes.append(_("No %(name)s OU: the first repair makes it.") % {"name": name_})

    policy: dict[str, Any] | None = None
    if "allusers" in mapped:
        found_policies = policies_applying_to(conn, mapped["allusers"]["dn"])
        if found_policies:
            chosen = found_policies[0]
            policy = {
                "name": chosen.name,
                "guid": str(chosen.guid),
                "password_min_length": chosen.policy.min_length,
                "password_complexity": chosen.policy.complexity,
                "password_history": chosen.policy.history_length,
                "password_max_age_days": chosen.policy.max_age_days,
                "lockout_threshold": chosen.policy.lockout_threshold,
                "lockout_duration_minutes": chosen.policy.lockout_duration_minutes,
            }
            if chosen.name.lower() != layout.policy_name(code).lower():
                changes.append(
                    _("The password policy is %(name)s: the first repair makes %(ours)s.")
                    % {"name": chosen.name, "ours": layout.policy_name(code)}
                )
    else:
        changes.append(
            _("No group %(name)s: the first repair makes it.") % {"name": all_users_group}
        )

    preview = {
        "organisation": {"code": code, "name": name, "guid": _guid(ou), "dn": ou["dn"]},
        "domains": [domain for domain, _count in domains.most_common()],
        "users": users,
        "groups": groups,
        "ous": sub_ous,
        "policy": policy,
        "changes": changes[:200],
        "more_changes": max(len(changes) - 200, 0),
        "problems": problems,
    }
    preview["problems"] += portal_problems(preview)
    return preview


def portal_problems(preview: dict[str, Any]) -> list[str]:
    """What the portal already has that the tenant would take: refuses adoption."""
    problems: list[str] = []
    code = preview["organisation"]["code"]
    if Organisation.objects.filter(code__iexact=code).exists():
        problems.append(_("The code %(code)s is taken in the portal.") % {"code": code})
    guid = preview["organisation"]["guid"]
    if Organisation.objects.filter(directory_guid=guid).exists():
        problems.append(_("This OU belongs to a customer of the portal already."))
    for domain in preview["domains"]:
        problems += domain_problems(domain)
    usernames = [user["username"].lower() for user in preview["users"]]
    upns = [user["upn"] for user in preview["users"]]
    guids = [user["guid"] for user in preview["users"]]
    for chunk in range(0, len(usernames), 2000):
        taken = (
            User.objects.annotate(lowered=Lower("username"))
            .filter(lowered__in=usernames[chunk : chunk + 2000])
            .values_list("username", flat=True)
        )
        problems += [
            _("The username %(name)s is taken in the portal.") % {"name": t} for t in taken
        ]
        taken_upns = User.objects.filter(upn__in=upns[chunk : chunk + 2000]).values_list(
            "upn", flat=True
        )
        problems += [_("The UPN %(upn)s is taken in the portal.") % {"upn": t} for t in taken_upns]
        known = User.objects.filter(directory_guid__in=guids[chunk : chunk + 2000]).count()
        if known:
            problems.append(
                _("%(count)d of these accounts belong to users of the portal already.")
                % {"count": known}
            )
    if any(len(name) > 20 for name in usernames):
        problems.append(_("Some logon names are longer than 20 characters."))
    return problems


@transaction.atomic
def adopt(*, actor: Any, adoption: Adoption, user_limit: int | None = None) -> Organisation:
    """Create the portal's records from the preview; writes nothing to the directory."""
    adoption = Adoption.objects.select_for_update().get(pk=adoption.pk)
    parent = adoption.parent
    if not has_permission(actor, "add_customer", parent):
        raise PermissionDenied(_("You may not create customers here."))
    if adoption.state != AdoptionState.READY:
        raise ValidationError(_("This adoption is not ready: read the OU first."))
    preview = adoption.preview
    problems = [*preview.get("problems", []), *portal_problems(preview)]
    if problems:
        raise ValidationError(problems[:20])
    users = preview["users"]
    if user_limit is not None and len(users) > user_limit:
        raise ValidationError(
            {
                "user_limit": _("The tenant has %(count)d users; the limit is %(limit)d.")
                % {"count": len(users), "limit": user_limit}
            }
        )
    settings = dict(preview.get("policy") or {})
    settings.pop("name", None)
    policy_guid = settings.pop("guid", None)
    org = preview["organisation"]
    organisation = create_organisation(
        actor=actor,
        parent=parent,
        name=org["name"][:200],
        code=org["code"],
        domains=preview["domains"],
        user_limit=user_limit,
        **settings,
    )
    organisation.domains.update(verified_at=timezone.now())  # AD already uses them
    lifecycle.adopted(organisation, actor=actor, guid=uuid.UUID(org["guid"]))

    people = User.objects.bulk_create(
        [
            User(
                organisation=organisation,
                username=user["username"],
                upn=user["upn"],
                first_name=user["first_name"][:150],
                last_name=user["last_name"][:150],
                display_name=user["display_name"][:256],
                email=user["email"][:254],
                is_active=user["enabled"],
                is_admin=user["admin"],
                directory_guid=uuid.UUID(user["guid"]),
                directory_sam_account_name=user["username"],
                password="!adopted",  # unusable: they sign in once a password is set
            )
            for user in users
        ],
        batch_size=2000,
    )
    admin_role = Role.objects.get(name="Customer Admin")
    user_role = Role.objects.get(name="User")
    _grant_plain_role([p for p in people if p.is_admin], organisation, admin_role)
    _grant_plain_role([p for p in people if not p.is_admin], organisation, user_role)

    remembered = [
        DirectoryObject(organisation=organisation, key=key, guid=uuid.UUID(guid), name=name)
        for key, name in (
            (layout.KEY_USERS_OU, layout.USERS_OU),
            (layout.KEY_GROUPS_OU, layout.GROUPS_OU),
        )
        if (guid := preview["ous"].get(key))
    ]
    if policy_guid:
        remembered.append(
            DirectoryObject(
                organisation=organisation,
                key=layout.KEY_POLICY,
                guid=uuid.UUID(policy_guid),
                name=layout.policy_name(organisation.code),
            )
        )
    by_username = {person.username: person for person in people}
    for group in preview["groups"]:
        maps_to = group["maps_to"]
        if not maps_to:
            continue
        key = {"allusers": layout.KEY_ALL_USERS, "admins": layout.KEY_ADMINS}.get(
            maps_to, f"group:{maps_to.partition(':')[2]}"
        )
        remembered.append(
            DirectoryObject(
                organisation=organisation,
                key=key,
                guid=uuid.UUID(group["guid"]),
                name=group["name"],
            )
        )
        if maps_to.startswith("service:"):
            service = Service.objects.get(code=maps_to.partition(":")[2])
            plan = service.plans.order_by("pk").first()
            if plan is None:
                raise ValidationError(
                    _("%(service)s has no plan to subscribe with.") % {"service": service.name}
                )
            subscription = CustomerService.objects.create(
                organisation=organisation,
                service=service,
                plan=plan,
                status=SubscriptionStatus.ACTIVE,
                directory_guid=uuid.UUID(group["guid"]),
            )
            UserService.objects.bulk_create(
                [
                    UserService(user=by_username[user["username"]], subscription=subscription)
                    for user in users
                    if service.code in user["services"]
                ],
                batch_size=2000,
            )
    DirectoryObject.objects.bulk_create(remembered)
    adoption.state = AdoptionState.ADOPTED
    adoption.organisation = organisation
    adoption.save(update_fields=["state", "organisation"])
    request_reconcile(actor=SYSTEM, organisation=organisation)
    return organisation


def read_failed(adoption_id: int, error: str) -> None:
    Adoption.objects.filter(pk=adoption_id).update(
        state=AdoptionState.FAILED, preview={"error": error}
    )
