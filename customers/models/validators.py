"""Validators shared by models and forms, with messages a person can act on."""

import re

from django.core.exceptions import ValidationError

CODE_PATTERN = re.compile(r"^[A-Za-z0-9]+$")
# RFC 1123 labels, at least two of them, a TLD that is not all digits.
DOMAIN_PATTERN = re.compile(
    r"^(?=.{1,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?!-)(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$"
)


def validate_code(value: str) -> None:
    if not CODE_PATTERN.match(value or ""):
        raise ValidationError("Use letters and digits only (A-Z, a-z, 0-9).", code="invalid")


def normalise_domain(value: str) -> str:
    return (value or "").strip().rstrip(".").lower()


def validate_domain_name(value: str) -> None:
    if not DOMAIN_PATTERN.match(normalise_domain(value)):
        raise ValidationError(
            "Enter a domain name such as example.com (letters, digits and hyphens, "
            "separated by dots).",
            code="invalid",
        )
