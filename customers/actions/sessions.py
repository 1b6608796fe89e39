"""Signed-in sessions: record them, let their owner see and end them, let an administrator
end all of a user's sessions.

Django's session store cannot be searched by user, so each sign-in also writes a
``UserSession`` row (the session key only as a SHA-256: the key is a bearer secret), and the
session keeps the row's id. ``confirm_session`` runs on every signed-in request: a session
whose row is gone has been ended, and the portal signs it out.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ua_parser import parse as parse_user_agent

from customers.actions.security_events import record_security_event
from customers.actions.users import USER_DENIED, may_act_on
from customers.models import SecurityEventKind, User, UserSession

# Where the session keeps the id of its ``UserSession`` row.
SESSION_ROW_KEY = "canopy_session_row"
# ``last_seen`` is written at most this often: not a write per request.
TOUCH_EVERY = timedelta(minutes=1)
USER_AGENT_MAX = UserSession._meta.get_field("user_agent").max_length


def hash_session_key(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


def describe_device(user_agent: str) -> str:
    """ "Firefox 128 on Windows": what a person recognises of their own browser."""
    if not user_agent:
        return _("Unknown browser")
    parsed = parse_user_agent(user_agent)
    browser = parsed.user_agent
    system = parsed.os
    name = browser.family if browser else _("Unknown browser")
    if browser and browser.major:
        name = f"{name} {browser.major}"
    if system and system.family and system.family != "Other":
        return _("%(browser)s on %(system)s") % {"browser": name, "system": system.family}
    return name


def _lifetime() -> timedelta:
    return timedelta(seconds=settings.SESSION_COOKIE_AGE)


def active_sessions(user: User):
    """The user's sessions that have not expired, most recently used first."""
    return UserSession.objects.filter(user=user, last_seen__gte=timezone.now() - _lifetime())


def start_session(
    *, user: User, session_key: str, ip_address: str | None, user_agent: str
) -> UserSession:
    """A sign-in: a row for the new session (and the user's expired rows go)."""
    now = timezone.now()
    UserSession.objects.filter(user=user, last_seen__lt=now - _lifetime()).delete()
    user_agent = (user_agent or "")[:USER_AGENT_MAX]
    row, _created = UserSession.objects.update_or_create(
        key_hash=hash_session_key(session_key),
        defaults={
            "user": user,
            "ip_address": ip_address or None,
            "user_agent": user_agent,
            "device": describe_device(user_agent)[:200],
            "last_seen": now,
        },
    )
    return row


def confirm_session(
    *,
    user: User,
    row_id: int | None,
    session_key: str,
    ip_address: str | None,
    user_agent: str,
) -> UserSession | None:
    """Is this session still open? None when it was ended (its row is gone).

    One query by primary key per request; a write at most once a minute (``last_seen``, and
    the hash of the session's key if Django gave it a new one). A session that predates this
    record (no ``row_id``) is recorded now rather than signed out.
    """
    if row_id is None:
        return start_session(
            user=user, session_key=session_key, ip_address=ip_address, user_agent=user_agent
        )
    row = UserSession.objects.filter(pk=row_id, user_id=user.pk).first()
    if row is None:
        return None
    now = timezone.now()
    if now - row.last_seen >= TOUCH_EVERY:
        changes: dict[str, Any] = {"last_seen": now}
        # A new key (Django gives one after a password change or a two-factor code) is
        # written with last_seen, not at once: the row is found by its id, so nothing waits
        # on the hash, and a session never costs more than one write a minute.
        key_hash = hash_session_key(session_key)
        if row.key_hash != key_hash:
            changes["key_hash"] = key_hash
        if ip_address and ip_address != row.ip_address:
            changes["ip_address"] = ip_address
        UserSession.objects.filter(pk=row.pk).update(**changes)
        for field, value in changes.items():
            setattr(row, field, value)
    return row


def forget_session(*, row_id: int | None, session_key: str | None) -> None:
    """Sign-out: the session is over, so is its row."""
    if row_id is not None:
        UserSession.objects.filter(pk=row_id).delete()
    elif session_key:
        UserSession.objects.filter(key_hash=hash_session_key(session_key)).delete()


@transaction.atomic
def end_session(*, actor: Any, session: UserSession) -> None:
    """A user ends one of their own sessions (another browser, a lost phone)."""
    if getattr(actor, "pk", None) != session.user_id:
        raise PermissionDenied(_("You may end only your own sessions."))
    session.delete()
    record_security_event(
        kind=SecurityEventKind.SESSION_ENDED,
        actor=actor,
        subject=actor,
        ip_address=session.ip_address,
        detail=session.device,
    )


@transaction.atomic
def end_other_sessions(*, actor: Any, keep_id: int | None) -> int:
    """A user ends every session of theirs but the one they are using."""
    ended, _details = (
        UserSession.objects.filter(user_id=getattr(actor, "pk", None)).exclude(pk=keep_id).delete()
    )
    if ended:
        record_security_event(
            kind=SecurityEventKind.SESSION_ENDED,
            actor=actor,
            subject=actor,
            detail=ngettext("%(count)d session", "%(count)d sessions", ended) % {"count": ended},
        )
    return ended


@transaction.atomic
def end_all_sessions(*, actor: Any, person: User) -> int:
    """An administrator signs ``person`` out everywhere (someone who may act on them:
    ``may_act_on`` with ``change_users``)."""
    if not may_act_on(actor, person, "change_users"):
        raise PermissionDenied(USER_DENIED)
    ended, _details = UserSession.objects.filter(user=person).delete()
    record_security_event(
        kind=SecurityEventKind.SESSIONS_ENDED_BY_ADMIN,
        actor=actor,
        subject=person,
        detail=ngettext("%(count)d session", "%(count)d sessions", ended) % {"count": ended},
    )
    return ended
