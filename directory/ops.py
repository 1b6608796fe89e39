"""Thin wrappers around ldap3's operations: one place that knows SAFE_SYNC's result tuples.

Each wrapper runs one LDAP operation and either returns plainly or raises a
`DirectoryError` (see `directory.errors`). On a transient failure the connection is
discarded, so the next `get_connection()` opens a fresh one. Log lines name the operation,
the DN and the attribute names, never values (a value may be a password).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from ldap3 import BASE, MODIFY_REPLACE, SUBTREE, Connection
from ldap3.utils.log import PROTOCOL, get_library_log_detail_level

from . import connection
from .dn import parent_of
from .entry import Entry, entry_from_response
from .errors import (
    NoSuchObjectError,
    PermanentDirectoryError,
    TransientDirectoryError,
    map_error,
)

logger = logging.getLogger("directory")


TREE_DELETE_CONTROL = "1.2.840.113556.1.4.805"
PAGED_RESULTS_CONTROL = "1.2.840.113556.1.4.319"
DEFAULT_PAGE_SIZE = 500  # AD's MaxPageSize is 1000

# {"attribute": [(MODIFY_REPLACE, [values])], ...}
Changes = dict[str, list[tuple[str, list[Any]]]]

_Outcome = tuple[bool, dict[str, Any], Any, Any]


def _run(
    conn: Connection,
    call: Callable[[], _Outcome],
    *,
    operation: str,
    dn: str,
    password: bool = False,
) -> _Outcome:
    try:
        outcome = call()
    except Exception as exc:  # ldap3 raises for sockets, TLS and timeouts
        error = map_error(exc, operation=operation, dn=dn, password=password)
        if isinstance(error, TransientDirectoryError):
            connection.discard(conn)
        if password:  # keep ldap3's own exception (and anything it holds) out of tracebacks
            raise error from None
        raise error from exc
    _, result, _, _ = outcome
    if result is None or result.get("result") != 0:
        error = map_error(result or {"result": 52}, operation=operation, dn=dn, password=password)
        if isinstance(error, TransientDirectoryError):
            connection.discard(conn)
        raise error
    return outcome


def search_pages(
    conn: Connection,
    base: str,
    filter_: str = "(objectClass=*)",
    *,
    scope: str = SUBTREE,
    attributes: Sequence[str] = (),
    controls: list[tuple[str, bool, Any]] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Iterator[list[Entry]]:
    """The entries matching `filter_`, one page (at most `page_size`) at a time, so a
    caller walking 10,000 accounts holds one page in memory, not the whole tenant.
    objectGUID is always read. Raises `NoSuchObjectError` if `base` does not exist."""
    wanted = list(dict.fromkeys([*attributes, "objectGUID"]))
    cookie: bytes | None = None
    while True:
        paging: dict[str, Any] = {}
        if scope != BASE:
            paging = {"paged_size": page_size, "paged_cookie": cookie}

        def call(paging: dict[str, Any] = paging) -> _Outcome:
            return conn.search(
                base, filter_, search_scope=scope, attributes=wanted, controls=controls, **paging
            )

        _, result, response, _ = _run(conn, call, operation="search", dn=base)
        yield [
            entry_from_response(item) for item in response or [] if item["type"] == "searchResEntry"
        ]
        del response
        cookie = (
            result.get("controls", {}).get(PAGED_RESULTS_CONTROL, {}).get("value", {}).get("cookie")
        )
        if not cookie:
            return


def search(
    conn: Connection,
    base: str,
    filter_: str = "(objectClass=*)",
    *,
    scope: str = SUBTREE,
    attributes: Sequence[str] = (),
    controls: list[tuple[str, bool, Any]] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> list[Entry]:
    """All entries matching `filter_` (pages through large results); objectGUID always read.

    Raises `NoSuchObjectError` if `base` does not exist.
    """
    return [
        entry
        for page in search_pages(
            conn,
            base,
            filter_,
            scope=scope,
            attributes=attributes,
            controls=controls,
            page_size=page_size,
        )
        for entry in page
    ]


def read(conn: Connection, dn: str, attributes: Sequence[str] = ()) -> Entry | None:
    """The entry at `dn` with `attributes` (and objectGUID), or None if it does not exist."""
    try:
        found = search(conn, dn, scope=BASE, attributes=attributes)
    except NoSuchObjectError:
        return None
    return found[0] if found else None


def add(
    conn: Connection, dn: str, object_class: str | Sequence[str], attributes: Mapping[str, Any]
) -> None:
    """Create `dn`. Raises `AlreadyExistsError` if it (or a unique value) exists."""
    classes = [object_class] if isinstance(object_class, str) else list(object_class)
    logger.debug("add %s (%s) with %s", dn, ",".join(classes), sorted(attributes))
    _run(
        conn,
        lambda: conn.add(dn, classes, dict(attributes)),
        operation="add",
        dn=dn,
    )


def modify(conn: Connection, dn: str, changes: Changes, *, password: bool = False) -> None:
    """Apply `changes` to `dn` in one request (all or nothing).

    `password=True` when a password is written, so that a policy refusal raises
    `PasswordRejectedError`.
    """
    if not changes:
        return
    if password and get_library_log_detail_level() >= PROTOCOL:
        # ldap3 logs whole requests at PROTOCOL level and raw bytes at NETWORK level,
        # and its "hide sensitive data" switch does not cover unicodePwd.
        raise PermanentDirectoryError(
            "refusing to send a password while ldap3's protocol logging is on "
            "(it would write the password to the log)",
            operation="modify",
            dn=dn,
        )
    logger.debug("modify %s: %s", dn, sorted(changes))
    _run(conn, lambda: conn.modify(dn, changes), operation="modify", dn=dn, password=password)


def delete(conn: Connection, dn: str, *, tree: bool = False) -> None:
    """Delete `dn`; with `tree=True` everything below it too (AD's tree-delete control)."""
    controls = [(TREE_DELETE_CONTROL, True, None)] if tree else None
    logger.debug("delete %s%s", dn, " (tree)" if tree else "")
    _run(conn, lambda: conn.delete(dn, controls=controls), operation="delete", dn=dn)


def delete_if_present(conn: Connection, dn: str, *, tree: bool = False) -> bool:
    """`delete`, idempotent: returns False if there was nothing to delete."""
    try:
        delete(conn, dn, tree=tree)
    except NoSuchObjectError:
        return False
    return True


def rename(conn: Connection, dn: str, new_rdn: str, new_parent: str | None = None) -> str:
    """Rename `dn` to `new_rdn` (built by `directory.dn.rdn`), moving it under `new_parent`
    if given. Returns the new DN."""
    logger.debug("rename %s to %s under %s", dn, new_rdn, new_parent or "same parent")
    _run(
        conn,
        lambda: conn.modify_dn(dn, new_rdn, delete_old_dn=True, new_superior=new_parent),
        operation="rename",
        dn=dn,
    )
    return f"{new_rdn},{new_parent or parent_of(dn)}"


def replace_changes(values: Mapping[str, Iterable[Any]]) -> Changes:
    """``{"attr": [v]}`` -> a change list replacing each attribute (empty list removes it)."""
    return {attr: [(MODIFY_REPLACE, list(vals))] for attr, vals in values.items()}
