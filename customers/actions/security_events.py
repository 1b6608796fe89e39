"""The security log: the one place that writes ``SecurityEvent`` rows.

Actions (password resets, role grants, two-factor changes, ended sessions) call
``record_security_event`` with their ``actor``. Sign-in events come from the portal's signal
receivers, which know the request; they pass the client's address (as the sign-in throttle
counts it) and call ``record_sign_in``, ``record_failed_sign_in`` and ``record_lockout``.

Never pass a password, tried or set, in ``detail``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from core.actors import recorded_user
from core.request_address import client_address
from customers.models import Organisation, SecurityEvent, SecurityEventKind, User

# A name typed at sign-in that names no account is kept only this long: enough to tell
# what was tried, too short to hold a password typed into the username field.
UNKNOWN_LOGIN_SHOWN = 40
DETAIL_MAX = SecurityEvent._meta.get_field("detail").max_length

__all__ = [
    "SecurityEventKind",
    "record_failed_sign_in",
    "record_lockout",
    "record_security_event",
    "record_sign_in",
]


def record_security_event(
    *,
    kind: str,
    actor: Any,
    subject: User | None = None,
    organisation: Organisation | None = None,
    ip_address: str | None = None,
    detail: str = "",
) -> SecurityEvent:
    """Write one row of the security log.

    ``organisation`` defaults to the subject's: that decides who reads the row (its admins
    and those above). ``actor`` is the person who did it (``SYSTEM`` is stored as nobody);
    for things people do to themselves, actor and subject are the same user. Two-factor
    changes use the ``TWO_FACTOR_*`` kinds. ``ip_address`` defaults to the address of the
    request being served, if any (``core.request_address``).
    """
    if kind not in SecurityEventKind.values:
        raise ValueError(f"Unknown security event kind {kind!r}")
    if organisation is None and subject is not None:
        organisation_id = subject.organisation_id
    else:
        organisation_id = organisation.pk if organisation is not None else None
    person = recorded_user(actor)
    return SecurityEvent.objects.create(
        kind=kind,
        actor=person if getattr(person, "pk", None) is not None else None,
        subject=subject,
        organisation_id=organisation_id,
        ip_address=ip_address or client_address(),
        detail=(detail or "")[:DETAIL_MAX],
    )


def record_sign_in(*, user: User, ip_address: str | None, detail: str = "") -> SecurityEvent:
    """The password was accepted (for a user with two-factor sign-in, the code comes next:
    ``detail`` says so)."""
    return record_security_event(
        kind=SecurityEventKind.SIGN_IN,
        actor=user,
        subject=user,
        ip_address=ip_address,
        detail=detail,
    )


def record_failed_sign_in(
    *, account: User | None, login: str, ip_address: str | None
) -> SecurityEvent:
    """A wrong password (or a refused account). ``login`` is what was typed as the username:
    kept, truncated, only when it names no account, and then under no organisation."""
    if account is not None:
        return record_security_event(
            kind=SecurityEventKind.SIGN_IN_FAILED,
            actor=None,
            subject=account,
            ip_address=ip_address,
        )
    return record_security_event(
        kind=SecurityEventKind.SIGN_IN_FAILED,
        actor=None,
        ip_address=ip_address,
        detail=_unknown_login(login),
    )


def record_lockout(
    *, account: User | None, login: str, ip_address: str | None, cool_off: timedelta | None
) -> SecurityEvent | None:
    """The throttle locked ``login`` out at ``ip_address``. The throttle says so again on
    every attempt during the lock-out: one row per lock-out is enough."""
    since = timezone.now() - (cool_off or timedelta(minutes=15))
    recent = SecurityEvent.objects.filter(
        kind=SecurityEventKind.LOCKED_OUT, ip_address=ip_address or None, when__gte=since
    )
    if account is not None:
        recent = recent.filter(subject=account)
    else:
        recent = recent.filter(subject__isnull=True, detail=_unknown_login(login))
    if recent.exists():
        return None
    return record_security_event(
        kind=SecurityEventKind.LOCKED_OUT,
        actor=None,
        subject=account,
        ip_address=ip_address,
        detail="" if account is not None else _unknown_login(login),
    )


def _unknown_login(login: str) -> str:
    login = (login or "").strip()
    if len(login) > UNKNOWN_LOGIN_SHOWN:
        return login[: UNKNOWN_LOGIN_SHOWN - 1] + "…"
    return login
