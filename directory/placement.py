"""Shared steps of every `ensure_*`: put an entry back where it belongs, correct attributes.

The portal is the source of truth. An entry is recognised by its objectGUID (which
survives renames and moves), so an OU someone renamed by hand is renamed back instead of
a second one being created next to it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ldap3 import MODIFY_REPLACE, Connection

from . import ops
from .dn import child_dn, dn_key, domain_root, parent_of, rdn, rdn_value, same_dn
from .entry import Entry, require_guid
from .errors import AlreadyExistsError, PermanentDirectoryError, TransientDirectoryError
from .read import find_by_guid

_READ = ("description", "objectClass")

# What an ensure_* wants an attribute to be: None = not managed (left as it is),
# "" or [] = must be absent, a string or list of strings = exactly these values.
Desired = Mapping[str, str | Sequence[str] | None]


@dataclass(frozen=True)
class AttributeDifference:
    """One attribute whose values in the directory are not the wanted ones."""

    attribute: str
    current: list[str]
    wanted: list[str]


def _as_values(value: str | Sequence[str]) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    return [item for item in value if item]


def attribute_changes(entry: Entry | None, desired: Desired) -> ops.Changes:
    """The replace operations that make `entry` carry the `desired` values (none if equal).

    Values compare exactly (case matters: a corrected capital is a real change), and
    multi-valued attributes compare as sets.
    """
    current = entry["attributes"] if entry is not None else {}
    changes: ops.Changes = {}
    for attr, wanted in desired.items():
        if wanted is None:
            continue
        values = _as_values(wanted)
        have = [value for value in current.get(attr, []) if isinstance(value, str)]
        if sorted(have) != sorted(values):
            changes[attr] = [(MODIFY_REPLACE, values)]
    return changes


def creation_attributes(desired: Desired) -> dict[str, list[str]]:
    """The `desired` values worth sending in an add (unmanaged and empty ones left out)."""
    attributes: dict[str, list[str]] = {}
    for attr, wanted in desired.items():
        if wanted is None:
            continue
        values = _as_values(wanted)
        if values:
            attributes[attr] = values
    return attributes


def put_in_place(
    conn: Connection, current_dn: str, parent_dn: str, rdn_attr: str, names: Sequence[str]
) -> str:
    """Make the entry at `current_dn` live under `parent_dn`, named ``rdn_attr=names[0]``
    (or one of the other acceptable `names`). Returns its DN afterwards.

    A name that differs only in case is corrected too (AD compares names ignoring case).
    """
    in_parent = dn_key(parent_of(current_dn)) == dn_key(parent_dn)
    if in_parent and rdn_value(current_dn) in names:
        return current_dn
    last_error: AlreadyExistsError | None = None
    for name in names:
        target_rdn = rdn(rdn_attr, name)
        try:
            return ops.rename(conn, current_dn, target_rdn, None if in_parent else parent_dn)
        except AlreadyExistsError as exc:
            if same_dn(f"{target_rdn},{parent_dn}", current_dn):
                raise  # a case-only rename the server refused: nothing else to try
            last_error = exc
    assert last_error is not None
    raise AlreadyExistsError(
        f"cannot put it back as {rdn_attr}={names[0]!r}: another entry already has that name",
        result=last_error.result,
        description=last_error.description,
        diagnostic=last_error.diagnostic,
        operation="rename",
        dn=current_dn,
    )


def _create(
    conn: Connection,
    dn: str,
    object_class: str,
    desired: Desired,
    extra_on_create: Callable[[], dict[str, list[str]]] | None,
    wanted: Sequence[str],
) -> tuple[Entry, bool]:
    """Add the entry. If it appeared meanwhile (another worker), adopt it: (entry, False).

    When the add fails because a generated unique value (a sAMAccountName) was taken by
    another worker in the meantime, the value is generated again and the add retried.
    """
    for _ in range(5):
        attributes = creation_attributes(desired)
        if extra_on_create is not None:
            attributes.update(extra_on_create())
        try:
            ops.add(conn, dn, object_class, attributes)
        except AlreadyExistsError:
            existing = ops.read(conn, dn, wanted)
            if existing is not None:
                return existing, False
            if extra_on_create is None:
                raise
            continue
        created = ops.read(conn, dn, wanted)
        if created is None:  # deleted again in between: let the caller retry
            raise TransientDirectoryError("the entry vanished right after it was created", dn=dn)
        return created, True
    raise TransientDirectoryError(
        "could not find a free sAMAccountName after 5 attempts", operation="add", dn=dn
    )


def _object_classes(entry: Entry) -> set[str]:
    return {str(value).lower() for value in entry["attributes"].get("objectClass", [])}


def ensure_named_entry(
    conn: Connection,
    *,
    dn: str,
    parent_dn: str,
    rdn_attr: str,
    name: str,
    object_class: str,
    desired: Desired,
    guid: uuid.UUID | None,
    extra_on_create: Callable[[], dict[str, list[str]]] | None = None,
    read_attributes: tuple[str, ...] = _READ,
) -> tuple[Entry, bool]:
    """Find (by GUID first, then by DN) or create the entry; put it back in place and
    correct its `desired` attributes. Returns the entry as found or created, and whether
    it was created.

    Shared by OUs and groups. `extra_on_create` supplies attributes only a new entry
    gets (a generated sAMAccountName), computed only when a creation happens.
    """
    wanted = tuple(dict.fromkeys([*read_attributes, *desired]))
    entry = None
    if guid is not None:
        entry = find_by_guid(conn, guid, wanted, base=domain_root(parent_dn))
        if entry is not None and object_class.lower() not in _object_classes(entry):
            raise PermanentDirectoryError(
                f"the GUID {guid} belongs to an entry that is not a {object_class}",
                operation="ensure",
                dn=entry["dn"],
            )
    if entry is None:
        entry = ops.read(conn, dn, wanted)
    if entry is None:
        entry, created = _create(conn, dn, object_class, desired, extra_on_create, wanted)
        if created:
            return entry, True
    current_dn = put_in_place(conn, entry["dn"], parent_dn, rdn_attr, [name])
    ops.modify(conn, current_dn, attribute_changes(entry, desired))
    return Entry(dn=current_dn, guid=entry["guid"], attributes=entry["attributes"]), False


def ensure_described_child(
    conn: Connection,
    parent_dn: str,
    rdn_attr: str,
    name: str,
    object_class: str,
    description: str | None,
    guid: uuid.UUID | None,
    *,
    extra_on_create: Callable[[], dict[str, list[str]]] | None = None,
) -> uuid.UUID:
    """`ensure_named_entry` for an entry ``<rdn_attr>=<name>`` under `parent_dn` whose only
    managed attribute is its description (OUs and groups); returns its objectGUID."""
    entry, _ = ensure_named_entry(
        conn,
        dn=child_dn(parent_dn, rdn_attr, name),
        parent_dn=parent_dn,
        rdn_attr=rdn_attr,
        name=name,
        object_class=object_class,
        desired={"description": description},
        guid=guid,
        extra_on_create=extra_on_create,
    )
    return require_guid(entry)
