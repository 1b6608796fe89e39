"""Two-factor sign-in: who must use it, enrolment, recovery codes, removal and reset.

A person signs in with their password and then a six-digit code from an authenticator app
(a django-otp ``TOTPDevice``), or one of ten recovery codes (a ``StaticDevice``, each code
good once). Every write is here, each with a required keyword ``actor``, so an audit trail
has one place to hook.

Who must: everyone who can change another person's account (``ACCOUNT_CODENAMES``, read
from the grants, never from a flag) when their organisation, or any organisation above it,
ticks *Require two-factor sign-in for administrators*. A provider or reseller that ticks it
ticks it for its whole subtree; nothing below can switch it off. Superusers (no
organisation) must when any provider requires it. Anybody else may enrol of their own
accord.

Secrets at rest: recovery codes are stored as keyed digests (``core.credentials.
secret_digest``), never as the codes, which are shown once. The authenticator's key cannot
be a digest (the portal must compute codes from it) and is stored as django-otp stores it,
in its hex column: an encrypted key does not fit that column (a Fernet token of a 20-byte
key is 120 characters, the column 80 hex digits) and the plugin reads the column directly
wherever it computes a code, so encrypting it would mean replacing the plugin's model.
The database and its backups must be guarded as the keys' store.

Throttling: each wrong code doubles the wait before the next try on that device
(django-otp's ``ThrottlingMixin``, ``OTP_*_THROTTLE_FACTOR``); a code is checked in its own
transaction, so a refusal never rolls the count back.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from core.actors import SYSTEM
from core.credentials import secret_digest
from customers.actions.security_events import record_security_event
from customers.actions.users import may_reset
from customers.models import Organisation, OrganisationUserObjectPermission, SecurityEventKind, User

# What lets a person change someone else's account: the permissions the user actions check
# (create, edit, enable and disable, reset and unlock, delete, make administrator). Every
# administrator role and Help Desk hold at least one; the User role holds none.
ACCOUNT_CODENAMES = frozenset(
    {
        "add_users",
        "change_users",
        "delete_users",
        "reset_passwords",
        "reset_admin_passwords",
        "grant_roles",
    }
)

CODE_DIGITS = 6
RECOVERY_CODE_COUNT = 10
# No 0/O or 1/I/L: the codes are read off paper and typed in.
RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECOVERY_CODE_LENGTH = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


# --- Who must --------------------------------------------------------------------------


def requirement_source(organisation: Organisation | None) -> Organisation | None:
    """The organisation whose setting makes two-factor sign-in required in ``organisation``:
    itself or the nearest ancestor that ticks it, or None. One query, read from the rows as
    they are now (not from an instance loaded earlier): it decides who is let in."""
    if organisation is None:
        return None
    return (
        organisation.get_ancestors(ascending=True, include_self=True)
        .filter(require_two_factor=True)
        .first()
    )


def inherited_requirement(organisation: Organisation) -> Organisation | None:
    """The ancestor that requires two-factor sign-in for ``organisation``'s subtree, if any:
    while there is one, ``organisation`` cannot switch it off."""
    if organisation.parent_id is None:
        return None
    return organisation.get_ancestors(ascending=True).filter(require_two_factor=True).first()


def may_change_accounts(person: User) -> bool:
    """Can ``person`` change another person's account, through any grant?"""
    if person.is_superuser:
        return True
    return OrganisationUserObjectPermission.objects.filter(
        user_id=person.pk, permission__codename__in=ACCOUNT_CODENAMES
    ).exists()


def must_use_two_factor(person: User) -> bool:
    """Does ``person`` have to sign in with a code (their organisation's setting, inherited)?"""
    if not may_change_accounts(person):
        return False
    if person.organisation_id is None:
        return Organisation.objects.filter(parent__isnull=True, require_two_factor=True).exists()
    return requirement_source(person.organisation) is not None


# --- What a person has -----------------------------------------------------------------


def authenticator(person: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=person, confirmed=True).first()


def has_two_factor(person: User) -> bool:
    return TOTPDevice.objects.filter(user=person, confirmed=True).exists()


def recovery_codes_left(person: User) -> int:
    return StaticToken.objects.filter(device__user=person, device__confirmed=True).count()


def new_authenticator_key() -> str:
    """A fresh key for enrolment (hex, as django-otp stores it): 160 random bits."""
    return random_hex(20)


def enrolment_uri(person: User, key: str) -> str:
    """The ``otpauth://`` address the QR code carries (issuer, account name and key)."""
    return TOTPDevice(user=person, key=key, name=AUTHENTICATOR_NAME).config_url


def _normalise_recovery_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def _new_recovery_codes() -> list[str]:
    return [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]


def format_recovery_code(code: str) -> str:
    """``ABCDE12345`` -> ``ABCDE-12345``, as the codes are shown."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def _store_recovery_codes(person: User) -> list[str]:
    """Replace ``person``'s recovery codes; returns the new ones (shown once, kept as
    digests)."""
    device, _created = StaticDevice.objects.get_or_create(
        user=person, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = _new_recovery_codes()
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=secret_digest(code)) for code in codes
    )
    return [format_recovery_code(code) for code in codes]


def _require_self(actor: Any, person: User) -> None:
    """Enrolment, new recovery codes and removal are for the person themselves."""
    if actor is not SYSTEM and getattr(actor, "pk", None) != person.pk:
        raise PermissionDenied(_("Only the person themselves may change their two-factor sign-in."))


# --- Checking a code -------------------------------------------------------------------


def check_code(person: User, code: str) -> Device:
    """The device that accepts ``code`` (six digits from the app, or a recovery code, which is
    then used up); else a ValidationError on ``code``.

    Each device counts its own failures and makes the next try wait longer; the check runs
    in its own transaction (the device row locked), so two guesses at once are both counted
    and the refusal raised afterwards does not roll the count back.
    """
    code = "".join((code or "").split())
    refusal = _("The code is not right. Try again with the code your app shows now.")
    with transaction.atomic():
        if code.isdigit() and len(code) == CODE_DIGITS:
            device = (
                TOTPDevice.objects.select_for_update().filter(user=person, confirmed=True).first()
            )
            token = code
        else:
            device = (
                StaticDevice.objects.select_for_update().filter(user=person, confirmed=True).first()
            )
            token = secret_digest(_normalise_recovery_code(code))
            refusal = _("The recovery code is not right, or it was used before.")
        if device is not None:
            allowed, _details = device.verify_is_allowed()
            if not allowed:
                refusal = _("Too many wrong codes: wait a minute, then try again.")
            elif device.verify_token(token):
                return device
    raise ValidationError({"code": refusal})


# --- Writes ----------------------------------------------------------------------------


def confirm_enrolment_code(key: str, code: str) -> int | None:
    """The time step at which ``code`` matches ``key`` (this step or the one either side, for
    a phone clock a little off), or None."""
    code = "".join((code or "").split())
    if not code.isdigit():
        return None
    totp = TOTP(bytes.fromhex(key), digits=CODE_DIGITS)
    if not totp.verify(int(code), tolerance=1):
        return None
    return totp.t()


@transaction.atomic
def enrol_authenticator(*, actor: Any, person: User, key: str, code: str) -> list[str]:
    """Turn on two-factor sign-in: the app shows codes from ``key`` (the QR code), and
    ``code`` proves it does. Returns the new recovery codes, to be shown once."""
    _require_self(actor, person)
    if has_two_factor(person):
        raise ValidationError(
            {"code": _("Two-factor sign-in is already on. Remove it first to use another app.")}
        )
    step = confirm_enrolment_code(key, code)
    if step is None:
        raise ValidationError(
            {"code": _("The code is not right. Enter the six digits your app shows now.")}
        )
    TOTPDevice.objects.filter(user=person).delete()  # unconfirmed leftovers
    TOTPDevice.objects.create(
        user=person,
        key=key,
        name=AUTHENTICATOR_NAME,
        confirmed=True,
        digits=CODE_DIGITS,
        tolerance=1,
        # The code just typed cannot be replayed to sign in.
        last_t=step,
    )
    record_security_event(kind=SecurityEventKind.TWO_FACTOR_ENABLED, actor=actor, subject=person)
    return _store_recovery_codes(person)


@transaction.atomic
def regenerate_recovery_codes(*, actor: Any, person: User) -> list[str]:
    """New recovery codes for ``person``; the old ones stop working."""
    _require_self(actor, person)
    if not has_two_factor(person):
        raise ValidationError(_("Turn on two-factor sign-in first."))
    record_security_event(
        kind=SecurityEventKind.TWO_FACTOR_RECOVERY_CODES_REGENERATED, actor=actor, subject=person
    )
    return _store_recovery_codes(person)


def remove_two_factor(*, actor: Any, person: User, code: str) -> None:
    """Turn off one's own two-factor sign-in, with a current code; refused while required.

    The code is checked first, in its own transaction (``check_code``), so a wrong one counts
    against the throttle even though the removal is refused."""
    _require_self(actor, person)
    if must_use_two_factor(person):
        raise ValidationError(
            _("Your organisation requires two-factor sign-in: it cannot be turned off.")
        )
    check_code(person, code)
    with transaction.atomic():
        _delete_devices(person)
        record_security_event(
            kind=SecurityEventKind.TWO_FACTOR_DISABLED, actor=actor, subject=person
        )


@transaction.atomic
def reset_two_factor(*, actor: Any, person: User) -> bool:
    """An administrator removes ``person``'s app and recovery codes (a lost phone): they sign
    in with their password next and, where it is required, set up a new app at once.

    Who may: whoever may reset the person's password (``may_reset``: the right permission and
    every permission the person holds). Returns whether there was anything to remove."""
    if not may_reset(actor, person):
        raise PermissionDenied(_("You may not do this to this user."))
    if actor is not SYSTEM and getattr(actor, "pk", None) == person.pk:
        raise ValidationError(
            _("To change your own two-factor sign-in, use Two-factor sign-in under your account.")
        )
    removed = _delete_devices(person)
    if removed:
        record_security_event(kind=SecurityEventKind.TWO_FACTOR_RESET, actor=actor, subject=person)
    return removed


def _delete_devices(person: User) -> bool:
    deleted = TOTPDevice.objects.filter(user=person).delete()[0]
    deleted += StaticDevice.objects.filter(user=person).delete()[0]
    return deleted > 0
