"""What administrators do to users: create, edit, disable, enable, reset, unlock, delete,
make or unmake administrator, and what users do to themselves (change their password).

``create_user`` is the one way a user comes into being (the user form, the customer wizard's
administrator, the demo); a bulk import inserts many at once under the same rules
(``customers.actions.imports``). Every function is atomic, takes the acting user as ``actor``
and requests the job that makes the directory follow. Passwords go to the portal as a hash
and to the job encrypted (``user_job``); they are never stored or logged in plaintext.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from typing import Any

from axes.utils import reset as reset_lockouts
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import connections, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.actors import SYSTEM, recorded_user
from core.credentials import encrypt_secret
from core.jobs import JobKind, held_lock_key, request_job
from core.models import Job
from core.scoping import effective_codenames, has_permission, holds_all, unlimited
from customers import notifications
from customers.actions import webhooks
from customers.actions.assignments import _assign, give_directory_account, sync_job
from customers.actions.catalogue import DIRECTORY_STATES
from customers.actions.limits import take_user_seat
from customers.actions.passwords import check_password
from customers.actions.roles import grant_role, grantable_roles, revoke_role
from customers.actions.security_events import record_security_event
from customers.actions.verification import check_upn_domain
from customers.models import (
    CustomerService,
    Organisation,
    Role,
    RoleGrant,
    SecurityEventKind,
    ServiceType,
    Status,
    User,
    WebhookEvent,
)

USER_DENIED = _("You may not do this to this user.")

USERNAME_MAX = 20
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,20}$")
EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "display_name",
    "email",
    "upn",
    "language",
    "starts_on",
    "ends_on",
    "email_aliases",
)
# Fields the portal alone keeps: changing only these needs no directory job.
PORTAL_ONLY_FIELDS = frozenset({"language"})


def username_stem(first_name: str = "", last_name: str = "", upn: str = "") -> str:
    """``Zoë O'Brien`` -> ``zobrien``; without names, the UPN's local part."""
    raw = f"{first_name[:1]}{last_name}" if first_name or last_name else upn.partition("@")[0]
    folded = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9._-]", "", folded).strip("._-")[:USERNAME_MAX] or "user"


def suggest_username(
    first_name: str = "", last_name: str = "", upn: str = "", taken: set[str] | None = None
) -> str:
    """A free username from the names (``jsmith``, ``jsmith2``, ...); one query."""
    stem = username_stem(first_name, last_name, upn)
    used = {
        u.lower()
        for u in User.objects.filter(username__istartswith=stem).values_list("username", flat=True)
    } | {t.lower() for t in (taken or set())}
    if stem not in used:
        return stem
    number = 2
    while True:
        candidate = f"{stem[: USERNAME_MAX - len(str(number))]}{number}"
        if candidate not in used:
            return candidate
        number += 1


def _job(kind: str, actor: Any, person: User, **kwargs: Any) -> Job | None:
    organisation = person.organisation
    if organisation is not None and organisation.status == Status.DRAFT:
        # Provisioning will build the account from the portal; only a chosen first password
        # must wait for it (user_job holds that job until the customer is provisioned).
        if kind == JobKind.CREATE_USER and kwargs.get("password"):
            return user_job(kind=kind, actor=actor, user=person, **kwargs)
        return None
    if organisation is None or organisation.status not in DIRECTORY_STATES:
        return None
    return user_job(kind=kind, actor=actor, user=person, **kwargs)


def may_act_on(actor: Any, person: User, codename: str | None = None) -> bool:
    """May ``actor`` reset, unlock, disable, enable, edit or delete ``person``?

    Only when ``actor`` holds ``codename`` (if given) on the person's organisation and every
    permission the person holds there, through any grant on it or an ancestor: nobody takes
    over an account more powerful than their own (a help desk reset of an administrator would
    hand the help desk the administrator's rights). Who is an administrator is read from the
    grants, never from the ``is_admin`` flag, so a service role counts for what it gives.
    """
    if actor is SYSTEM:
        return True
    organisation = person.organisation
    if organisation is None:
        return unlimited(actor)
    if codename is not None and not has_permission(actor, codename, organisation):
        return False
    return holds_all(actor, effective_codenames(person, organisation), organisation)


def _require(actor: Any, codename: str, person: User) -> None:
    if not may_act_on(actor, person, codename):
        raise PermissionDenied(USER_DENIED)


# Permissions that change something beyond one's own account: whoever holds one counts as an
# administrator, whatever the role that gave it is called.
_READ_ONLY = {"view_organisation", "view_users", "view_jobs"}


def holds_admin_rights(person: User) -> bool:
    if person.organisation is None:
        return True
    return bool(effective_codenames(person, person.organisation) - _READ_ONLY)


def _reset_codename(person: User) -> str:
    """Help Desk may reset ordinary users; administrators need the stronger permission."""
    return "reset_admin_passwords" if holds_admin_rights(person) else "reset_passwords"


def may_reset(actor: Any, person: User) -> bool:
    """The reset and unlock buttons and actions: the right codename and ``may_act_on``."""
    return may_act_on(actor, person, _reset_codename(person))


@transaction.atomic
def create_user(
    *,
    actor: Any,
    organisation: Organisation,
    username: str,
    upn: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    display_name: str = "",
    email: str = "",
    must_change_password: bool = False,
    is_admin: bool = False,
    role: Role | None = None,
    subscriptions: Iterable[CustomerService] | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> tuple[User, list[Job]]:
    """Create a user of ``organisation``, checked against its limits and password policy.

    The first user of a customer is always an administrator. ``role`` (default: Customer
    Admin for administrators, User otherwise) is granted on the user's own organisation; the
    actor must hold every permission of an administrator role they hand out. The user gets the
    customer's directory account service and ``subscriptions`` (the services chosen on the
    form: their job follows the account's, under the same lock, so they run in that order).

    ``starts_on`` / ``ends_on`` make a joiner or leaver (``customers.actions.joiners``): the
    account is created disabled until the start date.

    Returns the user and the jobs requested: the account's (held until a draft customer is
    provisioned, when a password was chosen) and the services'.
    """
    if not has_permission(actor, "add_users", organisation):
        raise PermissionDenied(_("You may not create users here."))
    if is_admin and role is None and not has_permission(actor, "grant_roles", organisation):
        raise PermissionDenied(_("You may not create administrators here."))
    if (
        role is not None
        and role.is_admin_role
        and not all(has_permission(actor, codename, organisation) for codename in role.codenames())
    ):
        raise PermissionDenied(_("You may not create an administrator here."))
    display_name = display_name or f"{first_name} {last_name}".strip()
    username = username or suggest_username(first_name, last_name, upn)
    check_upn_domain(organisation, upn)
    if addresses_taken([upn]):
        raise ValidationError({"upn": _("%(upn)s is someone's e-mail alias.") % {"upn": upn}})
    if password:
        check_password(organisation, password, username=username, display_name=display_name)
    take_user_seat(organisation)
    if not organisation.users.exists():
        is_admin = True
    person = User(
        organisation=organisation,
        username=username,
        upn=upn,
        first_name=first_name,
        last_name=last_name,
        display_name=display_name,
        email=email,
        is_admin=is_admin,
        must_change_password=must_change_password,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    check_dates(person)
    if password:
        person.set_password(password)
    else:
        person.set_unusable_password()
    person.full_clean(exclude=["password"])
    person._history_user = recorded_user(actor)
    person.save()
    if role is None:
        role = Role.objects.get(name="Customer Admin" if is_admin else "User")
    grant_role(actor=SYSTEM, user=person, organisation=organisation, role=role)
    give_directory_account(person)
    chosen = list(subscriptions or ())
    for subscription in chosen:
        if subscription.organisation_id != organisation.pk:
            raise ValidationError(_("Services must be the customer's own."))
        _assign(subscription, [person])
    webhooks.emit(WebhookEvent.USER_CREATED, organisation.pk, user_event(person))
    jobs = [_job(JobKind.CREATE_USER, actor, person, password=password)]
    notifications.welcome(person)  # queued: a worker sends it after the commit
    if jobs[0] is not None and chosen:
        # The account's job gives the directory account; only chosen services need another.
        jobs.append(sync_job(actor=actor, users=[person], subscriptions=chosen))
    return person, [job for job in jobs if job is not None]


def user_event(person: User) -> dict[str, Any]:
    """What a ``user.created`` webhook says about the person."""
    return {
        "id": person.pk,
        "organisation": person.organisation_id,
        "username": person.username,
        "upn": person.upn,
        "display_name": person.display_name,
    }


def check_dates(person: User) -> None:
    if person.starts_on and person.ends_on and person.ends_on <= person.starts_on:
        raise ValidationError({"ends_on": "The end date must come after the start date."})


def alias_held(address: str) -> Q:
    """Whose aliases include ``address``: jsonb containment on PostgreSQL (the GIN index
    answers it); SQLite (`make run`) has no containment, so the list's JSON text is searched
    for the quoted address (aliases are lower-case e-mail addresses, quoted alike)."""
    if connections[User.objects.db].vendor == "postgresql":
        return Q(email_aliases__contains=[address])
    return Q(email_aliases__icontains=json.dumps(address))


def addresses_taken(addresses: Iterable[str], exclude: User | None = None) -> list[str]:
    """Which of ``addresses`` are already someone's UPN or e-mail alias (one query)."""
    wanted = sorted({address.lower() for address in addresses if address})
    if not wanted:
        return []
    held = Q(upn__in=wanted)
    for address in wanted:
        held |= alias_held(address)
    others = User.objects.filter(held)
    if exclude is not None and exclude.pk is not None:
        others = others.exclude(pk=exclude.pk)
    used = set()
    for upn, aliases in others.values_list("upn", "email_aliases"):
        used.add(upn)
        used.update(aliases)
    return [address for address in wanted if address in used]


def clean_email_aliases(person: User, addresses: Iterable[str]) -> list[str]:
    """The person's e-mail aliases as given, checked: lower-case, each once, never the UPN
    itself (that is the primary address), each on one of their customer's own verified
    domains (a domain's owner vouched for it; mail for a name nobody verified is not the
    customer's), and nobody else's UPN or alias."""
    aliases: list[str] = []
    for raw in addresses:
        address = raw.strip().lower()
        if address and address != (person.upn or "") and address not in aliases:
            aliases.append(address)
    if not aliases:
        return []
    problems = []
    for address in aliases:
        try:
            validate_email(address)
        except ValidationError:
            problems.append(_("%(address)s is not an e-mail address.") % {"address": address})
    organisation = person.organisation
    verified = (
        {d.name for d in organisation.domains.all() if d.is_verified}
        if organisation is not None
        else set()
    )
    for address in aliases:
        domain = address.rpartition("@")[2]
        if "@" in address and domain not in verified:
            problems.append(
                _("%(domain)s is not a verified domain of this customer.") % {"domain": domain}
            )
    for address in addresses_taken(aliases, exclude=person):
        problems.append(_("%(address)s is already someone's address.") % {"address": address})
    if problems:
        raise ValidationError({"email_aliases": problems})
    return aliases


def person_subscriptions(person: User) -> list[CustomerService]:
    return [a.subscription for a in person.services.select_related("subscription__service")]


@transaction.atomic
def edit_user(*, actor: Any, person: User, changes: dict[str, Any]) -> Job | None:
    """Change names, email, UPN or e-mail aliases; the update job applies them to the
    account, and a job for the user's services follows a new UPN or new aliases (mail
    addresses, home folders)."""
    _require(actor, "change_users", person)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    renamed = "upn" in changes and changes["upn"] != person.upn
    if renamed:
        check_upn_domain(person.organisation, changes["upn"])
        if addresses_taken([changes["upn"]], exclude=person):
            raise ValidationError(
                {"upn": _("%(upn)s is someone's e-mail alias.") % {"upn": changes["upn"]}}
            )
    aliases_before = list(person.email_aliases)
    if "starts_on" in changes and changes["starts_on"] != person.starts_on:
        person.started_at = None  # the schedule applies the new date
    if "ends_on" in changes and changes["ends_on"] != person.ends_on:
        person.left_at = None
    for field, value in changes.items():
        if field != "email_aliases":
            setattr(person, field, value)
    # Checked with the new UPN: an alias that becomes the UPN is the primary address now.
    # Aliases not changed are not checked again (an edit of a name never fails on them).
    if "email_aliases" in changes:
        person.email_aliases = clean_email_aliases(person, changes["email_aliases"])
    else:
        upn = (person.upn or "").lower()
        person.email_aliases = [alias for alias in person.email_aliases if alias != upn]
    readdressed = renamed or person.email_aliases != aliases_before
    check_dates(person)
    if (
        renamed
        and person.services.filter(
            subscription__service__service_type=ServiceType.MAIL_ATTRIBUTES
        ).exists()
    ):
        person.email = person.upn  # the mailbox address is the UPN (see assignments)
    person.full_clean(exclude=["password"])
    person._history_user = recorded_user(actor)
    person.save()
    if set(changes) <= PORTAL_ONLY_FIELDS:
        return None
    job = _job(JobKind.UPDATE_USER, actor, person)
    held = person_subscriptions(person)
    if job is not None and readdressed and held:
        # Services derived from the UPN and aliases (mail addresses, home folders) follow.
        sync_job(actor=actor, users=[person], subscriptions=held)
    return job


@transaction.atomic
def set_enabled(*, actor: Any, person: User, enabled: bool) -> Job | None:
    """Disable (cannot sign in, account disabled in AD) or enable a user."""
    _require(actor, "change_users", person)
    if actor.pk is not None and actor.pk == person.pk and not enabled:
        raise ValidationError(_("You cannot disable yourself."))
    if person.is_active == enabled:
        return None
    person.is_active = enabled
    person.save(update_fields=["is_active"])
    return _job(JobKind.ENABLE_USER if enabled else JobKind.DISABLE_USER, actor, person)


@transaction.atomic
def reset_password(
    *, actor: Any, person: User, password: str, must_change_password: bool = True
) -> Job | None:
    """An administrator sets a new password (Help Desk: not for administrators)."""
    _require(actor, _reset_codename(person), person)
    check_password(
        person.organisation, password, username=person.username, display_name=person.display_name
    )
    person.set_password(password)
    person.must_change_password = must_change_password
    person.save(update_fields=["password", "must_change_password"])
    _forget_lockouts(person)
    record_security_event(kind=SecurityEventKind.PASSWORD_RESET, actor=actor, subject=person)
    notifications.password_set_by_admin(person)
    return _job(
        JobKind.RESET_PASSWORD,
        actor,
        person,
        password=password,
        payload={"must_change": must_change_password},
    )


def _forget_lockouts(person: User) -> None:
    """Lift the portal's sign-in lock-out (django-axes) for both of the user's names."""
    for name in filter(None, (person.username, person.upn)):
        reset_lockouts(username=name)


@transaction.atomic
def unlock_user(*, actor: Any, person: User) -> Job | None:
    """Clear a lock-out after too many wrong passwords, in the portal and in AD."""
    _require(actor, _reset_codename(person), person)
    _forget_lockouts(person)
    return _job(JobKind.UNLOCK_USER, actor, person)


def _other_admins(person: User) -> bool:
    return (
        User.objects.filter(organisation=person.organisation_id, is_admin=True, is_active=True)
        .exclude(pk=person.pk)
        .exists()
    )


@transaction.atomic
def delete_user(*, actor: Any, person: User) -> Job | None:
    """Delete a user; the job deletes the account (found by GUID, else by UPN)."""
    _require(actor, "delete_users", person)
    if actor.pk is not None and actor.pk == person.pk:
        raise ValidationError(_("You cannot delete yourself."))
    if person.is_admin and not _other_admins(person) and person.organisation.users.count() > 1:
        raise ValidationError(_("This is the customer's only administrator: make another first."))
    job = _job(JobKind.DELETE_USER, actor, person)  # the payload keeps its GUID and UPN
    person.delete()
    return job


def _admin_role(actor: Any, organisation: Organisation) -> Role:
    """The customer's own (cloned) admin role if it has one, else Customer Admin."""
    own = organisation.own_roles.filter(is_admin_role=True).first()
    role = own or Role.objects.get(name="Customer Admin")
    if actor is not SYSTEM and role not in grantable_roles(actor, organisation):
        raise PermissionDenied(_("You may not grant %(name)s.") % {"name": role.name})
    return role


@transaction.atomic
def set_administrator(*, actor: Any, person: User, admin: bool) -> Job | None:
    """Make a user an administrator of their customer, or an ordinary user again."""
    organisation = person.organisation
    _require(actor, "grant_roles", person)
    if admin == person.is_admin:
        return None
    if admin:
        grant_role(
            actor=actor,
            user=person,
            organisation=organisation,
            role=_admin_role(actor, organisation),
        )
    else:
        if actor.pk is not None and actor.pk == person.pk:
            raise ValidationError(_("You cannot remove your own administrator rights."))
        if not _other_admins(person):
            raise ValidationError(_("A customer always keeps at least one administrator."))
        for grant in RoleGrant.objects.filter(
            user=person, organisation=organisation, role__is_admin_role=True
        ).select_related("organisation", "user"):
            revoke_role(actor=actor, grant=grant)
        if not RoleGrant.objects.filter(user=person, organisation=organisation).exists():
            grant_role(
                actor=SYSTEM,
                user=person,
                organisation=organisation,
                role=Role.objects.get(name="User"),
            )
    person.refresh_from_db(fields=["is_admin"])
    return _job(JobKind.SET_ADMINISTRATOR, actor, person, payload={"admin": admin})


@transaction.atomic
@transaction.atomic
def set_own_language(*, actor: Any, language: str) -> None:
    """The signed-in person's own Language ("" = their organisation's default), which
    outranks every other source (README "Languages"). Only ever one's own: an admin changes
    someone else's with ``edit_user``."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose one of the languages offered.")})
    if actor.language == language:
        return
    actor.language = language
    actor._history_user = recorded_user(actor)
    actor.save(update_fields=["language"])


def change_own_password(*, person: User, old_password: str, new_password: str) -> Job | None:
    """A user changes their own password: the portal's at once, AD's through a job."""
    if not person.check_password(old_password):
        raise ValidationError({"old_password": _("Your current password is not right.")})
    check_password(  # the portal's floor applies to users of no organisation too
        person.organisation,
        new_password,
        username=person.username,
        display_name=person.display_name,
    )
    person.set_password(new_password)
    person.must_change_password = False
    person.save(update_fields=["password", "must_change_password"])
    record_security_event(kind=SecurityEventKind.PASSWORD_CHANGED, actor=person, subject=person)
    return _job(JobKind.CHANGE_PASSWORD, person, person, password=new_password)


@transaction.atomic
def set_password_from_link(*, person: User, new_password: str) -> Job | None:
    """A user sets their password through the welcome e-mail's one-time link (the view has
    checked its token): the portal's at once, AD's through a job, as a change of their own."""
    check_password(
        person.organisation,
        new_password,
        username=person.username,
        display_name=person.display_name,
    )
    person.set_password(new_password)
    person.must_change_password = False
    person.save(update_fields=["password", "must_change_password"])
    record_security_event(kind=SecurityEventKind.PASSWORD_CHANGED, actor=person, subject=person)
    return _job(JobKind.CHANGE_PASSWORD, person, person, password=new_password)


def user_job(
    *,
    kind: str,
    actor: Any,
    user: User,
    password: str | None = None,
    payload: dict[str, Any] | None = None,
) -> Job:
    """A job acting on one user; a password travels encrypted in ``Job.secret``.

    For a user of a draft organisation the job is held until the organisation is provisioned
    (``core.jobs.release_held_jobs``): provisioning creates the account, this job then gives
    it the password the administrator chose.

    The payload also keeps the account's GUID and UPN, so that a delete still finds the
    account after the user's row is gone. ``reset_password`` reads ``payload["must_change"]``.
    """
    draft = user.organisation is not None and user.organisation.status == Status.DRAFT
    payload = {
        "username": user.username,
        "upn": user.upn or "",
        "directory_guid": str(user.directory_guid) if user.directory_guid else "",
        **(payload or {}),
    }
    return request_job(
        kind=kind,
        organisation=user.organisation,
        actor=actor,
        user=user,
        payload=payload,
        secret=encrypt_secret(password) if password else "",
        lock_key=held_lock_key(user.organisation_id) if draft else f"org:{user.organisation_id}",
        target_label=f"{user.display_name or user.username} ({user.upn})",
        hold=draft,
    )
