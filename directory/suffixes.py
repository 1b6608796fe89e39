"""UPN suffixes: the customer domains users may sign in with (``jane@acme.example``).

They are the ``uPNSuffixes`` values of ``CN=Partitions,CN=Configuration,<base>``,
shared by the whole forest; adding one that is there (in any case) is a no-op.
"""

from __future__ import annotations

import re

from ldap3 import MODIFY_ADD, MODIFY_DELETE, Connection

from . import ops
from .dn import cn_dn
from .entry import texts
from .errors import NoSuchObjectError, PermanentDirectoryError

_DOMAIN = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)


def partitions_dn(base_dn: str) -> str:
    """``CN=Partitions,CN=Configuration,<base>``."""
    return cn_dn(cn_dn(base_dn, "Configuration"), "Partitions")


def _check(suffix: str) -> str:
    suffix = suffix.strip()
    if not _DOMAIN.match(suffix):
        raise ValueError(f"not a domain name: {suffix!r}")
    return suffix


def list_upn_suffixes(conn: Connection, base_dn: str) -> list[str]:
    """The extra UPN suffixes the forest accepts (the domain's own is not listed)."""
    entry = ops.read(conn, partitions_dn(base_dn), ["uPNSuffixes"])
    if entry is None:
        raise NoSuchObjectError("no Partitions container", dn=partitions_dn(base_dn))
    return texts(entry, "uPNSuffixes")


def _stored(conn: Connection, base_dn: str, suffix: str) -> str | None:
    wanted = suffix.lower()
    return next((s for s in list_upn_suffixes(conn, base_dn) if s.lower() == wanted), None)


def add_upn_suffix(conn: Connection, base_dn: str, suffix: str) -> bool:
    """Accept `suffix` for UPNs. Returns False if it was already accepted."""
    suffix = _check(suffix)
    if _stored(conn, base_dn, suffix) is not None:
        return False
    try:
        ops.modify(conn, partitions_dn(base_dn), {"uPNSuffixes": [(MODIFY_ADD, [suffix])]})
    except PermanentDirectoryError:
        # Added by someone else in the meantime (AD answers attributeOrValueExists).
        if _stored(conn, base_dn, suffix) is None:
            raise
        return False
    return True


def remove_upn_suffix(conn: Connection, base_dn: str, suffix: str) -> bool:
    """Stop accepting `suffix`. Returns False if it was not accepted anyway.

    Accounts that already use it keep their UPN: AD does not check.
    """
    stored = _stored(conn, base_dn, _check(suffix))
    if stored is None:
        return False
    try:
        ops.modify(conn, partitions_dn(base_dn), {"uPNSuffixes": [(MODIFY_DELETE, [stored])]})
    except PermanentDirectoryError:
        if _stored(conn, base_dn, suffix) is not None:
            raise
        return False
    return True
