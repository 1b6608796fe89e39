"""Organisational units: the containers of each tenant's tree."""

from __future__ import annotations

import uuid

from ldap3 import Connection

from . import ops
from .dn import parent_of, parse_rdn, rdn_value, split_dn
from .placement import ensure_described_child
from .read import exists


def ensure_ou(
    conn: Connection,
    parent_dn: str,
    name: str,
    description: str | None = None,
    guid: uuid.UUID | None = None,
) -> uuid.UUID:
    """Make ``OU=<name>`` exist under `parent_dn` and return its objectGUID.

    With `guid` (the one returned last time), an OU renamed or moved by hand is found and
    put back rather than duplicated. `description` None leaves the description alone;
    "" removes it. Safe to call again and concurrently.
    """
    return ensure_described_child(
        conn, parent_dn, "OU", name, "organizationalUnit", description, guid
    )


def ensure_container(conn: Connection, dn: str) -> bool:
    """Make the container at `dn` exist if it is an OU (its parent must exist); any other
    kind (``CN=Users``) is only looked for. Returns whether it exists now."""
    if parse_rdn(split_dn(dn)[0])[0][0].upper() == "OU":
        ensure_ou(conn, parent_of(dn), rdn_value(dn))
        return True
    return exists(conn, dn)


def delete_tree(conn: Connection, dn: str) -> bool:
    """Delete `dn` and everything below it (AD's tree-delete control).

    Idempotent: returns False if there was nothing to delete.
    """
    return ops.delete_if_present(conn, dn, tree=True)
