"""sAMAccountName: the pre-Windows-2000 logon name, unique across the whole domain."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from ldap3 import Connection

from . import ops
from .dn import eq, or_
from .entry import texts
from .read import default_naming_context

USER_MAX_LENGTH = 20  # AD's limit for users and computers
GROUP_MAX_LENGTH = 64  # groups may use more; 64 is also the longest CN

# AD forbids " / \\ [ ] : ; | = , + * ? < > @ and control characters. We keep the
# portable subset: ASCII letters, digits, '.', '-' and '_'.
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9._-]")
_BATCH = 10


def clean_sam_account_name(preferred: str, max_length: int = USER_MAX_LENGTH) -> str:
    """`preferred` made acceptable to AD: accents dropped (``José`` -> ``Jose``), anything
    else unusual removed, at most `max_length` characters, no leading/trailing dot.
    Falls back to ``user`` if nothing usable is left (``日本`` has no ASCII letters)."""
    ascii_only = unicodedata.normalize("NFKD", preferred).encode("ascii", "ignore").decode()
    cleaned = _NOT_ALLOWED.sub("", ascii_only)[:max_length].strip(".")
    return cleaned or "user"


def _candidates(stem: str, max_length: int) -> Iterator[str]:
    yield stem
    number = 1
    while True:
        suffix = str(number)
        yield stem[: max_length - len(suffix)].rstrip(".") + suffix
        number += 1


def generate_sam_account_name(
    conn: Connection, preferred: str, *, max_length: int = USER_MAX_LENGTH
) -> str:
    """A sAMAccountName no account or group in the domain has yet, as close to `preferred`
    as possible: ``jsmith``, else ``jsmith1``, ``jsmith2``, ... shortening the stem so the
    number still fits in `max_length` (``averyveryverylongna1``).

    Checks ten candidates per search. Two workers may still pick the same name at the same
    moment; the add then fails with `AlreadyExistsError` and the caller tries again.
    """
    stem = clean_sam_account_name(preferred, max_length)
    base = default_naming_context(conn)
    candidates = _candidates(stem, max_length)
    while True:
        batch = list(dict.fromkeys(next(candidates) for _ in range(_BATCH)))
        found = ops.search(
            conn,
            base,
            or_(*(eq("sAMAccountName", name) for name in batch)),
            attributes=["sAMAccountName"],
        )
        taken = {name.lower() for entry in found for name in texts(entry, "sAMAccountName")}
        for name in batch:
            if name.lower() not in taken:
                return name
