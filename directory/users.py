"""User accounts: create, correct, enable/disable, passwords.

A new account is created disabled (AD gives it userAccountControl 546: disabled, no
password required), gets its password over the encrypted connection, then is enabled
(512). Passwords are only ever held in local variables: never logged, never put in an
exception (see `directory.ops`), never returned.
"""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ldap3 import LEVEL, MODIFY_REPLACE, Connection

from . import ops
from .dn import and_, cn_dn, dn_key, eq, guid_filter, is_within, or_, parent_of
from .entry import Entry, integer, require_guid, text, texts
from .errors import (
    CONSTRAINT_VIOLATION,
    AlreadyExistsError,
    NoSuchObjectError,
    OutsideScopeError,
    PasswordRejectedError,
    PermanentDirectoryError,
    TransientDirectoryError,
)
from .placement import (
    AttributeDifference,
    Desired,
    attribute_changes,
    creation_attributes,
    put_in_place,
)
from .read import default_naming_context, list_children
from .sam import clean_sam_account_name, generate_sam_account_name

# userAccountControl flags
ACCOUNTDISABLE = 0x0002
LOCKOUT = 0x0010
PASSWD_NOTREQD = 0x0020
NORMAL_ACCOUNT = 0x0200

_CN_MAX = 64
_USER_CLASSES = ["top", "person", "organizationalPerson", "user"]
_IS_USER = eq("objectClass", "user")
# Attributes ensure_user never takes from `extra`: they are managed here or by AD.
_PROTECTED = frozenset(
    name.lower()
    for name in (
        "objectClass",
        "cn",
        "name",
        "distinguishedName",
        "sAMAccountName",
        "unicodePwd",
        "userPassword",
        "userAccountControl",
        "pwdLastSet",
        "lockoutTime",
        "memberOf",
        "objectGUID",
        "objectSid",
        "userPrincipalName",
        "givenName",
        "sn",
        "displayName",
        "mail",
        "description",
    )
)


@dataclass
class UserSpec:
    """What the portal says a user account looks like.

    `sam_account_name` is the preferred logon name; a new account gets it, cleaned and
    numbered if taken (see `generate_sam_account_name`), and an existing one keeps the
    one it has. `mail` / `description` None leave the attribute alone, "" removes it.
    `extra` holds further attributes (``homeDirectory``, ``proxyAddresses``): a list of
    values sets them exactly, an empty list removes the attribute.
    """

    upn: str
    sam_account_name: str
    given_name: str
    surname: str
    display_name: str
    mail: str | None = None
    description: str | None = None
    extra: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        local, at, domain = self.upn.partition("@")
        if not (local and at and domain):
            raise ValueError(f"a UPN looks like name@domain, got {self.upn!r}")
        clashes = sorted(name for name in self.extra if name.lower() in _PROTECTED)
        if clashes:
            raise ValueError(f"extra attributes may not set {', '.join(clashes)}")

    def desired(self) -> Desired:
        """The attribute values the account must carry."""
        return {
            "userPrincipalName": self.upn,
            "givenName": self.given_name,
            "sn": self.surname,
            "displayName": self.display_name,
            "mail": self.mail,
            "description": self.description,
            **self.extra,
        }

    def common_name(self) -> str:
        """The account's CN: its display name (or a name built from the parts)."""
        full = f"{self.given_name} {self.surname}".strip()
        name = self.display_name.strip() or full or self.upn.partition("@")[0]
        return name[:_CN_MAX].strip()


@dataclass(frozen=True)
class UserResult:
    """What `ensure_user` did: the account's GUID, where it is, its logon name, and
    whether it was created by this call."""

    guid: uuid.UUID
    dn: str
    sam_account_name: str
    created: bool


@dataclass(frozen=True)
class NewUser:
    """An account `create_users` is asked to make: what `ensure_user` takes for one.
    The password is never shown in a repr."""

    spec: UserSpec
    password: str | None = field(default=None, repr=False)
    enabled: bool = True
    must_change_password: bool = False


@dataclass(frozen=True)
class Account:
    """A user account as read from the directory: where it is, its names, whether it may
    sign in. `entry` keeps what was read, for comparing with a `UserSpec`."""

    guid: uuid.UUID
    dn: str
    upn: str | None
    sam_account_name: str | None
    enabled: bool
    entry: Entry = field(repr=False, compare=False)

    @classmethod
    def from_entry(cls, entry: Entry) -> Account:
        return cls(
            guid=require_guid(entry),
            dn=entry["dn"],
            upn=text(entry, "userPrincipalName"),
            sam_account_name=text(entry, "sAMAccountName"),
            enabled=_enabled(entry),
            entry=entry,
        )


def _attributes_to_read(spec: UserSpec | None = None) -> list[str]:
    names = [
        "userPrincipalName",
        "sAMAccountName",
        "givenName",
        "sn",
        "displayName",
        "mail",
        "description",
        "userAccountControl",
        "pwdLastSet",
    ]
    if spec is not None:
        names.extend(spec.extra)
    return names


def _cn_choices(spec: UserSpec, sam: str) -> list[str]:
    """The CN to use, then the fallback when another account in the OU has that CN
    (two people called John Smith): ``John Smith (jsmith1)``."""
    name = spec.common_name()
    suffix = f" ({sam})"
    return [name, f"{name[: _CN_MAX - len(suffix)].strip()}{suffix}"]


def _encode_password(password: str) -> bytes:
    if not password:
        raise ValueError("a password cannot be empty")
    return f'"{password}"'.encode("utf-16-le")


def random_password(length: int = 48) -> str:
    """A throw-away password that satisfies any reasonable policy (all four classes)."""
    alphabet = string.ascii_letters + string.digits + "!#%+-.:=@_"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(not c.isalnum() for c in candidate)
        ):
            return candidate


# --- finding accounts ---------------------------------------------------------------------


def _enabled(entry: Entry) -> bool:
    return not (integer(entry, "userAccountControl") or 0) & ACCOUNTDISABLE


def list_accounts(conn: Connection, ou_dn: str) -> list[Account]:
    """The user accounts directly in `ou_dn`. Raises `NoSuchObjectError` if it does not
    exist."""
    entries = list_children(conn, ou_dn, "user", _attributes_to_read())
    return [Account.from_entry(entry) for entry in entries]


def find_account_by_guid(conn: Connection, guid: uuid.UUID) -> Account | None:
    """The account with objectGUID `guid`, wherever it is now, or None."""
    entry = find_user_by_guid(conn, guid)
    return Account.from_entry(entry) if entry is not None else None


def find_account_by_upn(conn: Connection, upn: str, *, base: str | None = None) -> Account | None:
    """The account whose userPrincipalName is `upn` (ignoring case), or None; only below
    `base` when given (see `find_user_by_upn`)."""
    entry = find_user_by_upn(conn, upn, base=base)
    return Account.from_entry(entry) if entry is not None else None


def account_differences(account: Account, spec: UserSpec) -> list[AttributeDifference]:
    """The attributes of `account` that differ from what `spec` says, by attribute name
    (what `ensure_user` would correct)."""
    changes = attribute_changes(account.entry, spec.desired())
    return [
        AttributeDifference(
            attribute=attr, current=texts(account.entry, attr), wanted=changes[attr][0][1]
        )
        for attr in sorted(changes)
    ]


def find_user_by_guid(
    conn: Connection, guid: uuid.UUID, attributes: Sequence[str] | None = None
) -> Entry | None:
    """The user account with objectGUID `guid`, wherever it is now, or None."""
    found = ops.search(
        conn,
        default_naming_context(conn),
        and_(guid_filter(guid), _IS_USER),
        attributes=list(attributes) if attributes is not None else _attributes_to_read(),
    )
    return found[0] if found else None


def find_user_by_upn(
    conn: Connection,
    upn: str,
    attributes: Sequence[str] | None = None,
    *,
    base: str | None = None,
) -> Entry | None:
    """The user account whose userPrincipalName is `upn` (ignoring case), or None.

    Searches the subtree below `base` (an OU the caller may change: a UPN is only a name
    anyone can give an account, so a lookup that leads to a write must not reach further),
    else the whole domain (to see whether the UPN is taken). A `base` that does not exist
    holds no account: None.
    """
    try:
        found = ops.search(
            conn,
            base or default_naming_context(conn),
            and_(_IS_USER, eq("userPrincipalName", upn)),
            attributes=list(attributes) if attributes is not None else _attributes_to_read(),
        )
    except NoSuchObjectError:
        if base is None:
            raise
        return None
    return found[0] if found else None


def _user_account_control(conn: Connection, dn: str) -> int:
    entry = ops.read(conn, dn, ["userAccountControl"])
    uac = integer(entry, "userAccountControl") if entry else None
    if uac is None:
        raise NoSuchObjectError("the user account does not exist", operation="read", dn=dn)
    return uac


def _set_user_account_control(conn: Connection, dn: str, current: int, wanted: int) -> None:
    if current != wanted:
        ops.modify(conn, dn, {"userAccountControl": [(MODIFY_REPLACE, [str(wanted)])]})


# --- passwords and account state ------------------------------------------------------------


def set_password(conn: Connection, dn: str, password: str, must_change: bool = False) -> None:
    """Reset the account's password (an administrator reset: history is not checked, the
    length/complexity policy, fine-grained or domain-wide, is).

    With `must_change`, the user must choose a new password at next sign-in. Raises
    `PasswordRejectedError` if the policy refuses the password.
    """
    changes: ops.Changes = {"unicodePwd": [(MODIFY_REPLACE, [_encode_password(password)])]}
    if must_change:
        changes["pwdLastSet"] = [(MODIFY_REPLACE, ["0"])]
    ops.modify(conn, dn, changes, password=True)


def is_enabled(conn: Connection, dn: str) -> bool:
    """Whether the account is enabled (may sign in)."""
    return not _user_account_control(conn, dn) & ACCOUNTDISABLE


def enable_user(conn: Connection, dn: str) -> None:
    """Enable the account (no-op if it already is)."""
    uac = _user_account_control(conn, dn)
    _set_user_account_control(conn, dn, uac, uac & ~ACCOUNTDISABLE)


def disable_user(conn: Connection, dn: str) -> None:
    """Disable the account (no-op if it already is): it can no longer sign in."""
    uac = _user_account_control(conn, dn)
    _set_user_account_control(conn, dn, uac, uac | ACCOUNTDISABLE)


def set_account_attributes(conn: Connection, dn: str, values: Mapping[str, list[str]]) -> None:
    """Replace the given attributes of the account in one request; an empty list removes
    the attribute (a no-op when it is absent, so this is idempotent)."""
    ops.modify(conn, dn, ops.replace_changes(values))


def unlock_user(conn: Connection, dn: str) -> None:
    """Clear a lockout caused by too many wrong passwords."""
    ops.modify(conn, dn, {"lockoutTime": [(MODIFY_REPLACE, ["0"])]})


def delete_user(conn: Connection, dn: str) -> bool:
    """Delete the account. Returns False if it was already gone."""
    return ops.delete_if_present(conn, dn)


# --- ensure_user ---------------------------------------------------------------------------


def _create(conn: Connection, ou_dn: str, spec: UserSpec) -> tuple[str, str]:
    """Add the (disabled, password-less) account; returns (dn, sAMAccountName).

    Retries with the fallback CN when another account in the OU has the same CN, and
    with a fresh sAMAccountName when another worker took ours in the meantime.
    """
    preferred = spec.sam_account_name or spec.upn.partition("@")[0]
    attributes = creation_attributes(spec.desired())
    last_error: AlreadyExistsError | None = None
    for _ in range(5):
        sam = generate_sam_account_name(conn, preferred)
        for name in _cn_choices(spec, sam):
            dn = cn_dn(ou_dn, name)
            try:
                ops.add(conn, dn, _USER_CLASSES, {**attributes, "sAMAccountName": [sam]})
            except AlreadyExistsError as exc:
                last_error = exc
                if ops.read(conn, dn) is not None:
                    continue  # the CN is taken: try the fallback CN
                break  # the sAMAccountName was taken meanwhile: generate another
            return dn, sam
    assert last_error is not None
    raise last_error


def _finish(
    conn: Connection,
    dn: str,
    uac: int,
    password: str | None,
    enabled: bool,
    must_change_password: bool,
) -> None:
    """Give a new account its password, then enable it (or leave it disabled)."""
    set_password(conn, dn, password or random_password(), must_change_password)
    wanted = uac & ~(ACCOUNTDISABLE | PASSWD_NOTREQD)
    if not enabled:
        wanted |= ACCOUNTDISABLE
    _set_user_account_control(conn, dn, uac, wanted)


def ensure_user(
    conn: Connection,
    ou_dn: str,
    spec: UserSpec,
    guid: uuid.UUID | None = None,
    password: str | None = None,
    enabled: bool = True,
    must_change_password: bool = False,
    within: str | None = None,
) -> UserResult:
    """Make the account described by `spec` exist in `ou_dn`, enabled or not.

    The account is looked up by `guid` (wherever it was moved or renamed to; it is put
    back), else by UPN. A new account is created disabled, given `password`, then enabled.
    `password` is the *initial* password: it is ignored for an account that already
    exists (use `set_password` to reset one), except when an earlier call was interrupted
    before the account was finished. Without a password a new account gets a random one
    nobody knows, to be reset later.

    If the policy refuses `password` for an account this call created, the account is
    deleted again and `PasswordRejectedError` raised, so nothing half-made stays behind.
    An account found by UPN outside `ou_dn` (another tenant's) is not taken over:
    `AlreadyExistsError`. With `within`, an account found by GUID outside that subtree is
    neither moved nor changed: `OutsideScopeError`.
    """
    attributes = _attributes_to_read(spec)
    entry = find_user_by_guid(conn, guid, attributes) if guid is not None else None
    if entry is not None and within is not None and not is_within(entry["dn"], within):
        raise OutsideScopeError(
            "the account is outside the part of the directory this may change",
            operation="ensure user",
        )
    if entry is None:
        entry = find_user_by_upn(conn, spec.upn, attributes)
        if entry is not None and dn_key(parent_of(entry["dn"])) != dn_key(ou_dn):
            raise AlreadyExistsError(
                f"the UPN {spec.upn} already belongs to another account",
                operation="ensure user",
                dn=entry["dn"],
            )

    if entry is None:
        dn, sam = _create(conn, ou_dn, spec)
        created = ops.read(conn, dn, ["userAccountControl"])
        if created is None:
            raise TransientDirectoryError("the account vanished right after it was created", dn=dn)
        try:
            _finish(
                conn,
                dn,
                integer(created, "userAccountControl") or 546,
                password,
                enabled,
                must_change_password,
            )
        except PasswordRejectedError:
            delete_user(conn, dn)
            raise
        return UserResult(guid=require_guid(created), dn=dn, sam_account_name=sam, created=True)

    sam = text(entry, "sAMAccountName") or ""
    dn = put_in_place(conn, entry["dn"], ou_dn, "CN", _cn_choices(spec, sam))
    ops.modify(conn, dn, attribute_changes(entry, spec.desired()))
    uac = integer(entry, "userAccountControl") or 0
    if uac & PASSWD_NOTREQD and (password or not integer(entry, "pwdLastSet")):
        # An earlier call created the account but stopped before finishing it.
        _finish(conn, dn, uac, password, enabled, must_change_password)
    else:
        wanted = uac & ~ACCOUNTDISABLE if enabled else uac | ACCOUNTDISABLE
        if integer(entry, "pwdLastSet"):
            wanted &= ~PASSWD_NOTREQD  # it has a password: never let it go without one
        _set_user_account_control(conn, dn, uac, wanted)
    return UserResult(guid=require_guid(entry), dn=dn, sam_account_name=sam, created=False)


# --- many new accounts at once ---------------------------------------------------------------


def create_users(
    conn: Connection, ou_dn: str, wanted: Sequence[NewUser], *, look_first: bool = True
) -> list[UserResult | None]:
    """Create, in `ou_dn`, the accounts of `wanted` that plainly do not exist yet, with the
    writes `ensure_user` makes for a new account (add, password, enable) but with one
    search for the whole batch before (are these UPNs or logon names taken anywhere?) and
    one after (the new accounts' GUIDs), instead of three searches per account.

    Returns, in order, a `UserResult` for each account made here, and None for each one
    left to `ensure_user` (whose careful path then decides): its UPN or logon name is
    already in the domain (or twice in the batch), its CN is taken in the OU, another
    writer made it meanwhile, or the policy refused its password (the account is deleted
    again, as `ensure_user` does). Keep batches to about a hundred (the search filter
    names every UPN and logon name of the batch).

    Without `look_first` (one account: the search before would cost as much as a write)
    the add goes straight out, and the DC's own refusal of a UPN or logon name already in
    the domain (Samba 4, AD since Windows Server 2012 R2: both enforce their uniqueness)
    sends the account the careful way, as the search would have.
    """
    if not wanted:
        return []
    sams = [
        clean_sam_account_name(item.spec.sam_account_name or item.spec.upn.partition("@")[0])
        for item in wanted
    ]
    taken: set[str] = set()
    if look_first:
        for entry in ops.search(
            conn,
            default_naming_context(conn),
            or_(
                and_(_IS_USER, or_(*(eq("userPrincipalName", item.spec.upn) for item in wanted))),
                *(eq("sAMAccountName", sam) for sam in dict.fromkeys(sams)),
            ),
            attributes=["userPrincipalName", "sAMAccountName"],
        ):
            taken.update(value.lower() for value in texts(entry, "userPrincipalName"))
            taken.update(value.lower() for value in texts(entry, "sAMAccountName"))
    seen: set[str] = set()
    made: dict[int, tuple[str, str]] = {}  # index -> (dn, sAMAccountName)
    for index, (item, sam) in enumerate(zip(wanted, sams, strict=True)):
        keys = {f"upn:{item.spec.upn.lower()}", f"sam:{sam.lower()}"}
        clash = item.spec.upn.lower() in taken or sam.lower() in taken or keys & seen
        seen |= keys
        if clash:
            continue
        dn = cn_dn(ou_dn, _cn_choices(item.spec, sam)[0])
        attributes = creation_attributes(item.spec.desired())
        try:
            ops.add(conn, dn, _USER_CLASSES, {**attributes, "sAMAccountName": [sam]})
        except AlreadyExistsError:
            continue  # a CN taken in the OU, or a name taken meanwhile: the careful way
        except PermanentDirectoryError as exc:
            if exc.result != CONSTRAINT_VIOLATION:
                raise
            continue  # the UPN is taken (the DC says so): the careful way
        try:
            # What AD gives an account added without userAccountControl: 546.
            _finish(
                conn,
                dn,
                NORMAL_ACCOUNT | PASSWD_NOTREQD | ACCOUNTDISABLE,
                item.password,
                item.enabled,
                item.must_change_password,
            )
        except PasswordRejectedError:
            delete_user(conn, dn)
            continue
        made[index] = (dn, sam)
    guids: dict[str, uuid.UUID] = {}
    if made:
        for entry in ops.search(
            conn,
            ou_dn,
            or_(*(eq("sAMAccountName", sam) for _, sam in made.values())),
            scope=LEVEL,
            attributes=["sAMAccountName"],
        ):
            guids[(text(entry, "sAMAccountName") or "").lower()] = require_guid(entry)
    results: list[UserResult | None] = [None] * len(wanted)
    for index, (dn, sam) in made.items():
        guid = guids.get(sam.lower())
        if guid is not None:  # else it vanished at once: ensure_user looks again
            results[index] = UserResult(guid=guid, dn=dn, sam_account_name=sam, created=True)
    return results
