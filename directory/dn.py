"""The only place where values enter a DN or an LDAP search filter.

Everything a user types (organisation names, display names, domains) reaches the directory
through `rdn()` / `child_dn()` or `eq()`, which escape it (RFC 4514 for DNs, RFC 4515 for
filters). The rest of the package never concatenates a value into a DN or filter itself.

DNs the server returns may be escaped differently from the ones we build (Samba writes
``\\3B`` where we write ``\\;``) and compare case-insensitively, so DNs are compared with
`same_dn()` / `dn_key()`, never with ``==``.
"""

from __future__ import annotations

import re
import uuid

from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

_ATTRIBUTE_NAME = re.compile(r"^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_HEX = frozenset("0123456789abcdefABCDEF")

DnKey = tuple[tuple[tuple[str, str], ...], ...]


def _attribute(attr: str) -> str:
    """An attribute type is code, never user input: reject anything that is not a name."""
    if not _ATTRIBUTE_NAME.match(attr):
        raise ValueError(f"not an LDAP attribute name: {attr!r}")
    return attr


# --- building DNs -------------------------------------------------------------------------


def escape_value(value: str) -> str:
    """Escape one RDN value (RFC 4514): ``Acme, Inc.`` becomes ``Acme\\, Inc.``.

    Leading ``#`` and leading/trailing spaces are escaped, so names keep them exactly;
    control characters become ``\\XX`` hex escapes. Non-Latin letters pass through as
    they are (they are valid UTF-8 in a DN).
    """
    if not value or not value.strip():
        raise ValueError("a DN value cannot be empty or only spaces")
    escaped = escape_rdn(_CONTROL_CHARS.sub(lambda m: f"\x00{ord(m.group()):02X}", value))
    # escape_rdn turned our \x00 markers into "\\\x00": make them proper hex escapes.
    return escaped.replace("\\\x00", "\\")


def rdn(attr: str, value: str) -> str:
    """One relative DN, e.g. ``rdn("OU", "Acme, Inc.") == "OU=Acme\\, Inc."``."""
    return f"{_attribute(attr)}={escape_value(value)}"


def child_dn(parent_dn: str, attr: str, value: str) -> str:
    """The DN of the entry named ``attr=value`` directly under `parent_dn`."""
    if not parent_dn:
        raise ValueError("a child DN needs a parent DN")
    return f"{rdn(attr, value)},{parent_dn}"


def ou_dn(parent: str, name: str) -> str:
    """``OU=<name>,<parent>``."""
    return child_dn(parent, "OU", name)


def cn_dn(parent: str, name: str) -> str:
    """``CN=<name>,<parent>``."""
    return child_dn(parent, "CN", name)


# --- taking DNs apart ---------------------------------------------------------------------


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def _strip_unescaped(text: str) -> str:
    """Strip surrounding spaces, but keep a trailing space that is escaped (``\\ ``)."""
    text = text.lstrip(" ")
    stripped = text.rstrip(" ")
    if len(stripped) < len(text):
        backslashes = len(stripped) - len(stripped.rstrip("\\"))
        if backslashes % 2 == 1:
            return stripped + " "
    return stripped


def split_dn(dn: str) -> list[str]:
    """The RDNs of `dn`, first (the entry's own name) to last, as escaped text."""
    if not dn:
        return []
    return [_strip_unescaped(part) for part in _split_unescaped(dn, ",")]


def parent_of(dn: str) -> str:
    """``OU=b,DC=x`` for ``CN=a,OU=b,DC=x``; keeps the parent's original escaping."""
    rdns = split_dn(dn)
    if len(rdns) < 2:
        raise ValueError(f"{dn!r} has no parent")
    return ",".join(rdns[1:])


def unescape_value(escaped: str) -> str:
    """Undo RFC 4514 escaping of one attribute value (``\\,``, ``\\3B``, UTF-8 hex)."""
    chars: list[tuple[str, bool]] = []  # (character, was it escaped?)
    pending = bytearray()  # consecutive \XX escapes form one UTF-8 sequence

    def flush() -> None:
        if pending:
            chars.extend((char, True) for char in pending.decode("utf-8", "replace"))
            pending.clear()

    index = 0
    while index < len(escaped):
        char = escaped[index]
        if char == "\\" and index + 1 < len(escaped):
            pair = escaped[index + 1 : index + 3]
            if len(pair) == 2 and pair[0] in _HEX and pair[1] in _HEX:
                pending.append(int(pair, 16))
                index += 3
                continue
            flush()
            chars.append((escaped[index + 1], True))
            index += 2
            continue
        flush()
        chars.append((char, False))
        index += 1
    flush()
    while chars and chars[0] == (" ", False):
        chars.pop(0)
    while chars and chars[-1] == (" ", False):
        chars.pop()
    return "".join(char for char, _ in chars)


def parse_rdn(relative_dn: str) -> list[tuple[str, str]]:
    """The (attribute, unescaped value) pairs of one RDN (several if joined by ``+``)."""
    pairs = []
    for ava in _split_unescaped(relative_dn, "+"):
        attr, equals, value = ava.partition("=")
        if not equals:
            raise ValueError(f"not an RDN: {relative_dn!r}")
        pairs.append((attr.strip(), unescape_value(value)))
    return pairs


def rdn_value(dn: str) -> str:
    """The unescaped value of the entry's own name: ``Acme, Inc.`` for ``OU=Acme\\, Inc.,...``."""
    rdns = split_dn(dn)
    if not rdns:
        raise ValueError("empty DN")
    return parse_rdn(rdns[0])[0][1]


def dn_key(dn: str) -> DnKey:
    """A normalised, hashable form of `dn` for comparisons (AD compares DNs ignoring case).

    A DN without escapes, quotes or multi-valued RDNs (nearly all of them) takes a fast
    path: a reconcile of 10,000 accounts compares tens of thousands of DNs."""
    if not any(char in dn for char in '\\"+'):
        if not dn:
            return ()
        key = []
        for part in dn.split(","):
            attr, equals, value = part.partition("=")
            if not equals:
                break  # not a DN we can read simply: the full parser says why
            key.append(((attr.strip().casefold(), value.strip(" ").casefold()),))
        else:
            return tuple(key)
    return tuple(
        tuple(sorted((attr.casefold(), value.casefold()) for attr, value in parse_rdn(part)))
        for part in split_dn(dn)
    )


def same_dn(first: str, second: str) -> bool:
    """Whether two DNs name the same entry, whatever their escaping or case."""
    return dn_key(first) == dn_key(second)


def is_within(dn: str, ancestor: str) -> bool:
    """Whether `dn` is `ancestor` itself or somewhere below it."""
    key, top = dn_key(dn), dn_key(ancestor)
    return len(key) >= len(top) and key[len(key) - len(top) :] == top


def domain_root(dn: str) -> str:
    """The trailing ``DC=`` components of `dn`: the naming context an entry lives in."""
    rdns = split_dn(dn)
    tail: list[str] = []
    for part in reversed(rdns):
        pairs = parse_rdn(part)
        if len(pairs) != 1 or pairs[0][0].upper() != "DC":
            break
        tail.append(part)
    if not tail:
        raise ValueError(f"{dn!r} has no DC= components")
    return ",".join(reversed(tail))


# --- filters --------------------------------------------------------------------------------


def escape_filter_value(value: str) -> str:
    """Escape a value for use in a filter (RFC 4515): ``*``, ``(``, ``)``, ``\\``, NUL."""
    return str(escape_filter_chars(value))


def _filter(text: str) -> str:
    if not (text.startswith("(") and text.endswith(")")):
        raise ValueError(f"not an LDAP filter: {text!r}")
    return text


def eq(attr: str, value: str) -> str:
    """``(attr=value)`` with the value escaped: ``eq("cn", "a*")`` matches only ``a*``."""
    if value == "":
        raise ValueError("an equality filter needs a non-empty value")
    return f"({_attribute(attr)}={escape_filter_value(value)})"


def present(attr: str) -> str:
    """``(attr=*)``: the entry has the attribute."""
    return f"({_attribute(attr)}=*)"


def _combined(operator: str, name: str, filters: tuple[str, ...]) -> str:
    if not filters:
        raise ValueError(f"{name}() needs at least one filter")
    if len(filters) == 1:
        return _filter(filters[0])
    return f"({operator}" + "".join(_filter(f) for f in filters) + ")"


def and_(*filters: str) -> str:
    """``(&...)`` of the given filters (a single filter is returned as it is)."""
    return _combined("&", "and_", filters)


def or_(*filters: str) -> str:
    """``(|...)`` of the given filters (a single filter is returned as it is)."""
    return _combined("|", "or_", filters)


def not_(filter_: str) -> str:
    """``(!filter)``."""
    return f"(!{_filter(filter_)})"


def guid_filter(guid: uuid.UUID) -> str:
    """``(objectGUID=\\xx...)``: AD stores the GUID as 16 bytes in little-endian layout."""
    return "(objectGUID=" + "".join(f"\\{byte:02x}" for byte in guid.bytes_le) + ")"
