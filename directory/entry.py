"""What a search returns: a plain dict with the DN, the objectGUID and decoded attributes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, TypedDict

from ldap3.utils.ciDict import CaseInsensitiveDict

# Attributes whose values are bytes, not text: they are never decoded, even when the
# bytes happen to be valid UTF-8 (a GUID sometimes is).
BINARY_ATTRIBUTES = frozenset(
    name.lower()
    for name in (
        "objectGUID",
        "objectSid",
        "sIDHistory",
        "tokenGroups",
        "msDS-GenerationId",
        "thumbnailPhoto",
        "jpegPhoto",
        "userCertificate",
        "logonHours",
        "nTSecurityDescriptor",
        "msExchMailboxGuid",
        "mS-DS-ConsistencyGuid",
    )
)

AttributeValues = list[str | bytes]


class Entry(TypedDict):
    """One directory entry. `attributes` has case-insensitive keys (``mail`` == ``Mail``)."""

    dn: str
    guid: uuid.UUID | None
    attributes: Mapping[str, AttributeValues]


def _decode(name: str, values: list[bytes]) -> AttributeValues:
    if name.lower() in BINARY_ATTRIBUTES:
        return list(values)
    decoded: AttributeValues = []
    for value in values:
        try:
            decoded.append(value.decode("utf-8"))
        except UnicodeDecodeError:
            decoded.append(value)
    return decoded


def entry_from_response(item: Mapping[str, Any]) -> Entry:
    """Build an `Entry` from one ldap3 ``searchResEntry`` (raw values, our own decoding)."""
    attributes: CaseInsensitiveDict = CaseInsensitiveDict()
    for name, values in item["raw_attributes"].items():
        attributes[name] = _decode(name, values)
    raw_guid = attributes.get("objectGUID")
    guid = uuid.UUID(bytes_le=raw_guid[0]) if raw_guid else None
    return Entry(dn=item["dn"], guid=guid, attributes=attributes)


def texts(entry: Entry, attr: str) -> list[str]:
    """All text values of `attr` (empty when the entry does not have it)."""
    return [value for value in entry["attributes"].get(attr, []) if isinstance(value, str)]


def text(entry: Entry, attr: str) -> str | None:
    """The single text value of `attr`, or None."""
    values = texts(entry, attr)
    return values[0] if values else None


def integer(entry: Entry, attr: str) -> int | None:
    """The single integer value of `attr` (``userAccountControl``, ``pwdLastSet``), or None."""
    value = text(entry, attr)
    return int(value) if value is not None else None


def require_guid(entry: Entry) -> uuid.UUID:
    """The entry's objectGUID; every object in AD has one, so its absence is a bug."""
    if entry["guid"] is None:
        raise ValueError(f"entry {entry['dn']!r} was read without its objectGUID")
    return entry["guid"]
