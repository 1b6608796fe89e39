"""Security groups and their exact membership."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from ldap3 import MODIFY_ADD, MODIFY_DELETE, Connection

from . import ops
from .dn import cn_dn, dn_key
from .entry import require_guid
from .errors import NoSuchObjectError
from .placement import ensure_named_entry
from .sam import GROUP_MAX_LENGTH, generate_sam_account_name

GLOBAL_SECURITY_GROUP = -2147483646  # ADS_GROUP_TYPE_GLOBAL_GROUP | SECURITY_ENABLED

# Values per modify request; AD accepts up to 5000 but smaller requests fail smaller.
_MEMBERS_PER_REQUEST = 1000


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

    entry, _ = ensure_named_entry(
        conn,
        dn=cn_dn(parent_dn, name),
        parent_dn=parent_dn,
        rdn_attr="CN",
        name=name,
        object_class="group",
        desired={"description": description},
        guid=guid,
        extra_on_create=on_create,
    )
    return require_guid(entry)


def _range_of(attribute: str) -> tuple[int, int | None] | None:
    """(low, high) of ``member;range=low-high``; high None for ``*``."""
    _, marker, bounds = attribute.partition(";range=")
    if not marker:
        return None
    low, _, high = bounds.partition("-")
    return int(low), None if high == "*" else int(high)


def get_members(conn: Connection, group_dn: str, *, range_step: int | None = None) -> list[str]:
    """The DNs in the group's ``member`` attribute (direct members), as the server writes
    them. Large groups are read in ranges (AD returns at most 1500 values at a time);
    `range_step` forces smaller ranges (for tests)."""
    members: list[str] = []
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
            return members
        name, bounds = ranged[0]
        members.extend(value for value in entry["attributes"][name] if isinstance(value, str))
        if bounds is None or bounds[1] is None:
            return members
        start = bounds[1] + 1


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


def delete_group(conn: Connection, group_dn: str) -> bool:
    """Delete the group. Returns False if it was already gone."""
    try:
        ops.delete(conn, group_dn)
    except NoSuchObjectError:
        return False
    return True
