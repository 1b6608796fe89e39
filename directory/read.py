"""Reading the directory: by DN or GUID, children of a container, and the RootDSE."""

from __future__ import annotations

import math
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ldap3 import LEVEL, SUBTREE, Connection

from . import connection, ops
from .config import DirectoryConfig
from .dn import and_, eq, guid_filter, or_
from .entry import Entry, text
from .errors import PermanentDirectoryError

ALL_ATTRIBUTES: tuple[str, ...] = ("*",)
_SUMMARY = ("cn", "description")


@dataclass(frozen=True)
class ObjectSummary:
    """An OU or group as found: where it is now, its cn (groups have one, OUs do not) and
    its description."""

    guid: uuid.UUID | None
    dn: str
    cn: str | None
    description: str | None

    @classmethod
    def from_entry(cls, entry: Entry) -> ObjectSummary:
        return cls(
            guid=entry["guid"],
            dn=entry["dn"],
            cn=text(entry, "cn"),
            description=text(entry, "description"),
        )


_naming_contexts: weakref.WeakKeyDictionary[Connection, str] = weakref.WeakKeyDictionary()


def default_naming_context(conn: Connection) -> str:
    """The domain's base DN as the server announces it (read once per connection)."""
    known = _naming_contexts.get(conn)
    if known is None:
        root = ops.read(conn, "", ["defaultNamingContext"])
        known = text(root, "defaultNamingContext") if root else None
        if not known:
            raise PermanentDirectoryError(
                "the server did not announce a default naming context; is it Active Directory?",
                operation="read RootDSE",
            )
        _naming_contexts[conn] = known
    return known


def probe(config: DirectoryConfig, timeout: float) -> None:
    """Whether the directory answers: bind with `config`'s credentials on a new connection
    (never the cached one, which may hide a changed password) and read the base DN, each
    waiting at most `timeout` seconds. Returns quietly, or raises a `DirectoryError`
    (`TransientDirectoryError` when unreachable, `AuthenticationError` when the bind is
    refused, `PermanentDirectoryError` when the base DN is missing)."""
    quick = replace(
        config,
        connect_timeout=timeout,
        # ldap3 packs the receive timeout into a C struct: it must be a whole number.
        receive_timeout=max(1, math.ceil(timeout)),
    )
    conn = connection.connect(quick)
    try:
        if ops.read(conn, config.base_dn, ["distinguishedName"]) is None:
            raise PermanentDirectoryError(
                "the base DN does not exist", operation="read", dn=config.base_dn
            )
    finally:
        connection.discard(conn)


def find_by_guid(
    conn: Connection,
    guid: uuid.UUID,
    attributes: Sequence[str] = ALL_ATTRIBUTES,
    *,
    base: str | None = None,
) -> Entry | None:
    """The entry whose objectGUID is `guid`, wherever it is now (below `base`, default the
    whole domain), or None. This is how an entry renamed or moved by hand is found again."""
    found = ops.search(
        conn,
        base or default_naming_context(conn),
        guid_filter(guid),
        scope=SUBTREE,
        attributes=attributes,
    )
    return found[0] if found else None


def read_entry(
    conn: Connection, dn_or_guid: str | uuid.UUID, attributes: Sequence[str] = ALL_ATTRIBUTES
) -> Entry | None:
    """The entry at a DN, or with a GUID, with the given attributes; None if there is none."""
    if isinstance(dn_or_guid, uuid.UUID):
        return find_by_guid(conn, dn_or_guid, attributes)
    return ops.read(conn, dn_or_guid, attributes)


def list_children(
    conn: Connection,
    dn: str,
    object_class: str | None = None,
    attributes: Sequence[str] = ALL_ATTRIBUTES,
) -> list[Entry]:
    """The entries directly below `dn` (optionally only those of `object_class`).

    Raises `NoSuchObjectError` if `dn` itself does not exist.
    """
    filter_ = "(objectClass=*)" if object_class is None else eq("objectClass", object_class)
    return ops.search(conn, dn, filter_, scope=LEVEL, attributes=attributes)


def exists(conn: Connection, dn: str) -> bool:
    """Whether an entry exists at `dn`."""
    return ops.read(conn, dn) is not None


def find_one(
    conn: Connection, base: str, *filters: str, attributes: Sequence[str] = ALL_ATTRIBUTES
) -> Entry | None:
    """The single entry below `base` matching all `filters`; an error if several match."""
    found = ops.search(conn, base, and_(*filters), scope=SUBTREE, attributes=attributes)
    if len(found) > 1:
        raise PermanentDirectoryError(
            f"expected one entry, found {len(found)}: {', '.join(e['dn'] for e in found[:3])}",
            operation="search",
            dn=base,
        )
    return found[0] if found else None


def dn_of(conn: Connection, guid: uuid.UUID) -> str | None:
    """Where the entry with objectGUID `guid` is now (renamed or moved or not), or None."""
    entry = find_by_guid(conn, guid, ["objectClass"])
    return entry["dn"] if entry is not None else None


def summarise(conn: Connection, dn_or_guid: str | uuid.UUID) -> ObjectSummary | None:
    """The OU or group at a DN, or with a GUID (wherever it is now); None if there is none."""
    entry = read_entry(conn, dn_or_guid, _SUMMARY)
    return ObjectSummary.from_entry(entry) if entry is not None else None


def guids_below(conn: Connection, parent_dn: str, guids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of `guids` (a few hundred at most: one filter names them all) belong to
    entries directly below `parent_dn`. Raises `NoSuchObjectError` if it does not exist."""
    if not guids:
        return set()
    found = ops.search(
        conn, parent_dn, or_(*(guid_filter(guid) for guid in guids)), scope=LEVEL, attributes=[]
    )
    return {entry["guid"] for entry in found}
