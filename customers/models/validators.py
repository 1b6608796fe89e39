"""Validators shared by models and forms, with messages a person can act on."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

# A name is unique across every tenant. Saying who holds it, or even that "another customer"
# does, tells one tenant about another: every clash reads the same, wherever the name is.
UNAVAILABLE = {
    "code": gettext_lazy("The code %(value)s is not available."),
    "domain": gettext_lazy("The domain %(value)s is not available."),
    "username": gettext_lazy("The username %(value)s is not available."),
    "upn": gettext_lazy("The UPN %(value)s is not available."),
}
# For the database's own uniqueness check, which does not pass the value.
UNAVAILABLE_FIELD = {
    "code": gettext_lazy("This code is not available."),
    "domain": gettext_lazy("This domain is not available."),
    "username": gettext_lazy("This username is not available."),
    "upn": gettext_lazy("This UPN is not available."),
}


def unavailable(kind: str, value: str) -> str:
    """The one message for a code, domain, username or UPN that is taken (by anyone)."""
    return gettext(str(UNAVAILABLE[kind])) % {"value": value}


CODE_PATTERN = re.compile(r"^[A-Za-z0-9]+$")
# RFC 1123 labels, at least two of them, a TLD that is not all digits.
DOMAIN_PATTERN = re.compile(
    r"^(?=.{1,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?!-)(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$"
)


# A UPN's local part: letters, digits and _ + -, in runs separated by single dots. It becomes
# an AD attribute, a mail address and part of home-folder paths, so nothing that quotes,
# escapes or walks a path (quotes, backslashes, slashes, spaces, "..") gets through.
UPN_LOCAL_PATTERN = re.compile(r"^[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*$")
UPN_LOCAL_MESSAGE = _(
    "Use letters, digits and . _ - + only before the @: no spaces, quotes or backslashes, "
    "and no dot at the start, at the end or twice in a row."
)


def validate_upn_local(value: str) -> None:
    if len(value or "") > 64 or not UPN_LOCAL_PATTERN.match(value or ""):
        raise ValidationError(UPN_LOCAL_MESSAGE, code="invalid")


def validate_upn(value: str) -> None:
    """``local@domain``: a safe local part (``validate_upn_local``) and a domain name."""
    local, at, domain = (value or "").strip().rpartition("@")
    if not at:
        raise ValidationError(_("Enter a UPN such as jane.doe@example.com."), code="invalid")
    validate_upn_local(local)
    validate_domain_name(domain)


def validate_code(value: str) -> None:
    if not CODE_PATTERN.match(value or ""):
        raise ValidationError(_("Use letters and digits only (A-Z, a-z, 0-9)."), code="invalid")


def normalise_domain(value: str) -> str:
    return (value or "").strip().rstrip(".").lower()


def validate_domain_name(value: str) -> None:
    if not DOMAIN_PATTERN.match(normalise_domain(value)):
        raise ValidationError(
            _(
                "Enter a domain name such as example.com (letters, digits and hyphens, "
                "separated by dots)."
            ),
            code="invalid",
        )
