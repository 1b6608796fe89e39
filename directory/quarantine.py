"""Quarantine: what should not be in a tenant's OU is set aside, never deleted on sight.

An account or group someone made by hand inside a tenant's OU may have been made on
purpose. `quarantine` takes away what it grants (an account is disabled, a security group
becomes a distribution group, so its members gain no rights through it), writes in its
description when and why, and moves it into a ``Quarantine`` OU below the tenant's OU,
where a person decides: take it into the portal (`release`, then the account's job), or
delete it for good (`delete_quarantined`, which refuses anything outside that OU).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from ldap3 import LEVEL, MODIFY_REPLACE, Connection

from . import ops
from .dn import dn_key, eq, is_within, or_, ou_dn, parent_of, parse_rdn, rdn, rdn_value, split_dn
from .entry import Entry, integer, text
from .errors import AlreadyExistsError, NoSuchObjectError, OutsideScopeError
from .ous import ensure_ou
from .read import find_by_guid
from .users import ACCOUNTDISABLE

QUARANTINE_OU = "Quarantine"
SECURITY_ENABLED = 0x80000000

ACCOUNT, GROUP = "account", "group"
_READ = [
    "objectClass",
    "cn",
    "sAMAccountName",
    "userPrincipalName",
    "description",
    "userAccountControl",
    "groupType",
    "givenName",
    "sn",
    "displayName",
    "mail",
]
# Accounts (computers are accounts too: objectClass user) and groups.
_LEVEL_FILTER = or_(
    eq("objectClass", "user"),
    eq("objectClass", "group"),
    eq("objectClass", "organizationalUnit"),
    eq("objectClass", "container"),
)


@dataclass(frozen=True)
class Found:
    """An account or group found below a tenant's OU."""

    guid: uuid.UUID
    dn: str
    kind: str  # ACCOUNT or GROUP
    name: str  # sAMAccountName, else cn
    upn: str | None
    description: str | None
    enabled: bool  # an account may sign in / a group is a security group
    given_name: str = ""
    surname: str = ""
    display_name: str = ""
    mail: str = ""

    @classmethod
    def from_entry(cls, entry: Entry) -> Found:
        classes = {str(value).lower() for value in entry["attributes"].get("objectClass", [])}
        kind = GROUP if "group" in classes else ACCOUNT
        if kind == GROUP:
            enabled = bool((integer(entry, "groupType") or 0) & SECURITY_ENABLED)
        else:
            enabled = not (integer(entry, "userAccountControl") or 0) & ACCOUNTDISABLE
        return cls(
            guid=entry["guid"],
            dn=entry["dn"],
            kind=kind,
            name=text(entry, "sAMAccountName") or text(entry, "cn") or rdn_value(entry["dn"]),
            upn=text(entry, "userPrincipalName"),
            description=text(entry, "description"),
            enabled=enabled,
            given_name=text(entry, "givenName") or "",
            surname=text(entry, "sn") or "",
            display_name=text(entry, "displayName") or "",
            mail=text(entry, "mail") or "",
        )


def quarantine_dn(tenant_dn: str) -> str:
    return ou_dn(tenant_dn, QUARANTINE_OU)


@dataclass
class LevelRead:
    """One level of a tenant's OU a caller has read already (in pages, for its own work):
    the accounts and groups on it the walk below should consider, and the containers on it
    to descend into. `accounts_and_groups_below` then does not read that level again."""

    found: list[Found]
    containers: list[str]


def is_container(entry: Entry) -> bool:
    classes = {str(value).lower() for value in entry["attributes"].get("objectClass", [])}
    return not classes & {"user", "group"}


def level_pages(
    conn: Connection,
    parent_dn: str,
    page_size: int = ops.DEFAULT_PAGE_SIZE,
    *,
    also: Sequence[str] = (),
):
    """The accounts, groups and containers directly below `parent_dn`, a page at a time,
    with what `Found` and `directory.Account` need, and the attributes in `also` (a
    reconcile reads ``memberOf``). Raises `NoSuchObjectError` if `parent_dn` does not
    exist."""
    return ops.search_pages(
        conn,
        parent_dn,
        _LEVEL_FILTER,
        scope=LEVEL,
        attributes=[*_READ, *also],
        page_size=page_size,
    )


def accounts_and_groups_below(
    conn: Connection,
    tenant_dn: str,
    *,
    skip: list[str] | tuple[str, ...] = (),
    already: dict[str, LevelRead] | None = None,
) -> list[Found]:
    """Every account and group anywhere below `tenant_dn`, except below the DNs in `skip`
    (a child tenant's OU, the Quarantine OU). Read one level at a time, so a skipped subtree
    (a reseller's customers, thousands of accounts) is never read at all; a level in
    `already` (keyed by its DN) is taken as the caller read it. Raises `NoSuchObjectError`
    if `tenant_dn` does not exist."""
    skipped = {dn_key(dn) for dn in skip}
    done = {dn_key(dn): level for dn, level in (already or {}).items()}
    found: list[Found] = []
    pending = [tenant_dn]
    while pending:
        parent = pending.pop()
        level = done.get(dn_key(parent))
        if level is not None:
            found.extend(level.found)
            pending.extend(dn for dn in level.containers if dn_key(dn) not in skipped)
            continue
        try:
            pages = list(level_pages(conn, parent))
        except NoSuchObjectError:
            if parent == tenant_dn:
                raise
            continue  # moved or deleted while we looked
        for entry in (entry for page in pages for entry in page):
            if not is_container(entry):
                found.append(Found.from_entry(entry))
            elif dn_key(entry["dn"]) not in skipped:
                pending.append(entry["dn"])
    return found


def _read(conn: Connection, guid: uuid.UUID, base: str) -> Entry:
    try:
        entry = find_by_guid(conn, guid, _READ, base=base)
    except NoSuchObjectError:
        entry = None
    if entry is None:
        raise NoSuchObjectError("the object is not there any more", operation="find", dn=base)
    return entry


def _take_away_rights(conn: Connection, entry: Entry, note: str) -> None:
    found = Found.from_entry(entry)
    changes: ops.Changes = {}
    if found.kind == ACCOUNT:
        uac = integer(entry, "userAccountControl") or 0
        if not uac & ACCOUNTDISABLE:
            changes["userAccountControl"] = [(MODIFY_REPLACE, [str(uac | ACCOUNTDISABLE)])]
    else:
        group_type = integer(entry, "groupType") or 0
        if group_type & SECURITY_ENABLED:
            plain = (group_type & 0xFFFFFFFF) & ~SECURITY_ENABLED
            changes["groupType"] = [(MODIFY_REPLACE, [str(plain)])]
    if found.description != note:
        changes["description"] = [(MODIFY_REPLACE, [note])]
    ops.modify(conn, entry["dn"], changes)


def quarantine(conn: Connection, guid: uuid.UUID, tenant_dn: str, note: str) -> Found:
    """Disable the account (or make the group a distribution group), describe it with
    `note`, and move it into the Quarantine OU below `tenant_dn` (made if missing).

    Idempotent: an object already there is only checked. Only an object below `tenant_dn`
    is touched (`OutsideScopeError` otherwise). Returns it as it is now.
    """
    entry = _read(conn, guid, tenant_dn)
    if not is_within(entry["dn"], tenant_dn):
        raise OutsideScopeError("the object is outside the tenant's OU", operation="quarantine")
    ensure_ou(conn, tenant_dn, QUARANTINE_OU)
    target = quarantine_dn(tenant_dn)
    _take_away_rights(conn, entry, note)
    dn = entry["dn"]
    if dn_key(parent_of(dn)) != dn_key(target):
        attr, name = parse_rdn(split_dn(dn)[0])[0]
        try:
            dn = ops.rename(conn, dn, rdn(attr, name), target)
        except AlreadyExistsError:
            # Something of the same name was quarantined before: keep both apart.
            suffix = f" ({guid})"
            dn = ops.rename(conn, dn, rdn(attr, f"{name[: 64 - len(suffix)]}{suffix}"), target)
    return Found.from_entry(_read(conn, guid, tenant_dn))


def release(conn: Connection, guid: uuid.UUID, tenant_dn: str) -> str:
    """Clear the quarantine note of an account below `tenant_dn` (in its Quarantine OU, or
    already moved out by the account's job), so
    the portal can take it in (the account's own job then moves it into the Users OU and
    enables it if the portal says so). Returns its DN."""
    entry = _read(conn, guid, tenant_dn)
    if not is_within(entry["dn"], tenant_dn):
        raise OutsideScopeError("the object is outside the tenant's OU", operation="release")
    if text(entry, "description") is not None:
        ops.modify(conn, entry["dn"], {"description": [(MODIFY_REPLACE, [])]})
    return entry["dn"]


def delete_quarantined(conn: Connection, guid: uuid.UUID, tenant_dn: str) -> bool:
    """Delete for good the account or group with `guid`, only if it is in the Quarantine OU
    below `tenant_dn` (`OutsideScopeError` otherwise). False if it was already gone."""
    target = quarantine_dn(tenant_dn)
    try:
        entry = find_by_guid(conn, guid, ["objectClass"], base=tenant_dn)
    except NoSuchObjectError:
        entry = None
    if entry is None:
        return False
    if not is_within(entry["dn"], target):
        raise OutsideScopeError("the object is not in the Quarantine OU", operation="delete")
    return ops.delete_if_present(conn, entry["dn"])
