"""Security groups and their exact membership."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from ldap3 import MODIFY_ADD, MODIFY_DELETE, Connection

from . import ops
from .dn import dn_key, eq
from .entry import Entry
from .errors import (
    ENTRY_ALREADY_EXISTS,
    UNWILLING_TO_PERFORM,
    AlreadyExistsError,
    NoSuchObjectError,
    PermanentDirectoryError,
)
from .placement import ensure_described_child
from .read import ObjectSummary, list_children
from .sam import GROUP_MAX_LENGTH, generate_sam_account_name

GLOBAL_SECURITY_GROUP = -2147483646  # ADS_GROUP_TYPE_GLOBAL_GROUP | SECURITY_ENABLED

# Values per modify request; AD accepts up to 5000 but smaller requests fail smaller.
_MEMBERS_PER_REQUEST = 1000

# What AD answers when a membership changed under a write: an add of a member already
# there, or a removal of one already gone.
_RACED = frozenset({ENTRY_ALREADY_EXISTS, UNWILLING_TO_PERFORM})


@dataclass(frozen=True)
class MembershipChange:
    """What `set_members` changed (DNs as sent or as stored by the server)."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def ensure_group(
    conn: Connection,
    parent_dn: str,
    name: str,
    description: str | None = None,
    guid: uuid.UUID | None = None,
) -> uuid.UUID:
    """Make the global security group ``CN=<name>`` exist under `parent_dn`; return its GUID.

    A new group's sAMAccountName is `name` (cleaned, at most 64 characters, numbered if
    taken); an existing group keeps its sAMAccountName and group type. A group renamed or
    moved by hand is found by `guid` and put back. `description` None leaves it alone.
    """

    def on_create() -> dict[str, list[str]]:
        return {
            "groupType": [str(GLOBAL_SECURITY_GROUP)],
            "sAMAccountName": [generate_sam_account_name(conn, name, max_length=GROUP_MAX_LENGTH)],
        }

    return ensure_described_child(
        conn, parent_dn, "CN", name, "group", description, guid, extra_on_create=on_create
    )


def list_groups(conn: Connection, ou_dn: str) -> list[ObjectSummary]:
    """The groups directly in `ou_dn`. Raises `NoSuchObjectError` if it does not exist."""
    entries = list_children(conn, ou_dn, "group", ["cn", "description"])
    return [ObjectSummary.from_entry(entry) for entry in entries]


def _range_of(attribute: str) -> tuple[int, int | None] | None:
    """(low, high) of ``member;range=low-high``; high None for ``*``."""
    _, marker, bounds = attribute.partition(";range=")
    if not marker:
        return None
    low, _, high = bounds.partition("-")
    return int(low), None if high == "*" else int(high)


def member_ranges(
    conn: Connection, group_dn: str, *, range_step: int | None = None
) -> Iterator[list[str]]:
    """The group's direct members (DNs as the server writes them), a range at a time
    (``member;range=low-high``), so a caller can count or compare the members of a group
    of 10,000 holding one range in memory. Without `range_step` the server picks the size
    (AD 1500; Samba may send all at once). Raises `NoSuchObjectError` if there is no group."""
    start = 0
    while True:
        upper = "*" if range_step is None else str(start + range_step - 1)
        entry = ops.read(conn, group_dn, [f"member;range={start}-{upper}"])
        if entry is None:
            raise NoSuchObjectError("the group does not exist", operation="read", dn=group_dn)
        ranged = [
            (name, _range_of(name))
            for name in entry["attributes"]
            if name.lower().startswith("member")
        ]
        if not ranged:
            return
        name, bounds = ranged[0]
        yield [value for value in entry["attributes"][name] if isinstance(value, str)]
        if bounds is None or bounds[1] is None:
            return
        start = bounds[1] + 1


def get_members(conn: Connection, group_dn: str, *, range_step: int | None = None) -> list[str]:
    """The DNs in the group's ``member`` attribute (direct members), as the server writes
    them. Large groups are read in ranges (AD returns at most 1500 values at a time);
    `range_step` forces smaller ranges (for tests)."""
    return [dn for chunk in member_ranges(conn, group_dn, range_step=range_step) for dn in chunk]


def count_members(conn: Connection, group_dn: str, *, range_step: int = 1500) -> int:
    """How many direct members the group has, reading them a range at a time."""
    return sum(len(chunk) for chunk in member_ranges(conn, group_dn, range_step=range_step))


def member_pages(
    conn: Connection, base: str, group_dn: str, attributes: Sequence[str] = ()
) -> Iterator[list[Entry]]:
    """The entries below `base` that are direct members of the group (by their
    ``memberOf``), a page at a time, with `attributes` (objectGUID always)."""
    return ops.search_pages(conn, base, eq("memberOf", group_dn), attributes=attributes)


def set_members(conn: Connection, group_dn: str, member_dns: Iterable[str]) -> MembershipChange:
    """Make the group's direct members exactly `member_dns`, touching only the difference.

    DNs compare ignoring case and escaping style. Members are added and removed in the
    same request(s), so a group is never briefly empty. Raises `NoSuchObjectError` if a
    member does not exist.
    """
    wanted: dict[object, str] = {}
    for member in member_dns:
        wanted.setdefault(dn_key(member), member)
    current = {dn_key(member): member for member in get_members(conn, group_dn)}
    to_add = [dn for key, dn in wanted.items() if key not in current]
    to_remove = [dn for key, dn in current.items() if key not in wanted]
    adds, removes = list(to_add), list(to_remove)
    while adds or removes:
        changes: list[tuple[str, list[str]]] = []
        room = _MEMBERS_PER_REQUEST
        if adds:
            chunk, adds = adds[:room], adds[room:]
            changes.append((MODIFY_ADD, chunk))
            room -= len(chunk)
        if removes and room > 0:
            chunk, removes = removes[:room], removes[room:]
            changes.append((MODIFY_DELETE, chunk))
        ops.modify(conn, group_dn, {"member": changes})
    return MembershipChange(added=to_add, removed=to_remove)


def converge_members(
    conn: Connection, group_dn: str, member_dns: Iterable[str], *, attempts: int = 3
) -> MembershipChange:
    """`set_members`, again if another writer changed the same group between its read and
    its write (AD then refuses an add of a member that is there, or a removal of one that
    is gone); the next read sees their change."""
    wanted = list(member_dns)
    for attempt in range(attempts):
        try:
            return set_members(conn, group_dn, wanted)
        except PermanentDirectoryError as exc:
            if exc.result not in _RACED or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def add_member(conn: Connection, group_dn: str, member_dn: str) -> bool:
    """Put one member in the group with a single modify (no read of the members first).
    Returns False if it was already a member."""
    try:
        ops.modify(conn, group_dn, {"member": [(MODIFY_ADD, [member_dn])]})
    except AlreadyExistsError:
        return False
    return True


def remove_member(conn: Connection, group_dn: str, member_dn: str) -> bool:
    """Take one member out of the group. Returns False if it was not a member."""
    current = get_members(conn, group_dn)
    remaining = [dn for dn in current if dn_key(dn) != dn_key(member_dn)]
    if len(remaining) == len(current):
        return False
    converge_members(conn, group_dn, remaining)
    return True


def _change_members(conn: Connection, group_dn: str, member_dns: Iterable[str], add: bool) -> int:
    current = {dn_key(dn) for dn in get_members(conn, group_dn)}
    changing = [dn for dn in dict.fromkeys(member_dns) if (dn_key(dn) in current) != add]
    operation = MODIFY_ADD if add else MODIFY_DELETE
    for start in range(0, len(changing), _MEMBERS_PER_REQUEST):
        chunk = changing[start : start + _MEMBERS_PER_REQUEST]
        ops.modify(conn, group_dn, {"member": [(operation, chunk)]})
    return len(changing)


def add_members(conn: Connection, group_dn: str, member_dns: Iterable[str]) -> int:
    """Put `member_dns` in the group, leaving its other members alone; reads the members
    once and adds only the missing ones. Returns how many were added."""
    return _change_members(conn, group_dn, member_dns, add=True)


def remove_members(conn: Connection, group_dn: str, member_dns: Iterable[str]) -> int:
    """Take `member_dns` out of the group, leaving its other members alone. Returns how
    many were removed."""
    return _change_members(conn, group_dn, member_dns, add=False)


def delete_group(conn: Connection, group_dn: str) -> bool:
    """Delete the group. Returns False if it was already gone."""
    return ops.delete_if_present(conn, group_dn)
