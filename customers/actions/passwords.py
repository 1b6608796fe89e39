"""A customer's password policy, checked as Active Directory checks it.

Complexity is AD's rule: at least three of the five character categories (upper-case,
lower-case, digits, symbols, letters without case), and no sAMAccountName or display-name
token of three or more characters, case-insensitively.

Under every organisation's policy lies the portal's floor (``AUTH_PASSWORD_VALIDATORS``: a
minimum length, Django's list of common passwords, no all-digit password, nothing close to
the user's names). A portal password signs in to an account that controls a directory, so
no organisation can lower it, and every password Canopy sets is checked against it.
"""

from __future__ import annotations

import re

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from customers.models import Organisation, User

_TOKEN_SPLIT = re.compile(r"[,.\-_#\s\t]+")


def _categories(password: str) -> int:
    upper = any(ch.isupper() for ch in password)
    lower = any(ch.islower() for ch in password)
    digit = any(ch.isdigit() for ch in password)
    symbol = any(not ch.isalnum() for ch in password)
    caseless = any(ch.isalpha() and not ch.isupper() and not ch.islower() for ch in password)
    return sum([upper, lower, digit, symbol, caseless])


def floor_problems(password: str, *, username: str = "", display_name: str = "") -> list[str]:
    """What is wrong with ``password`` under the portal's floor, whatever the organisation."""
    person = User(username=username, display_name=display_name)  # only for name similarity
    try:
        validate_password(password, user=person)
    except ValidationError as error:
        return list(error.messages)
    return []


def password_problems(
    organisation: Organisation | None,
    password: str,
    *,
    username: str = "",
    display_name: str = "",
) -> list[str]:
    """What is wrong with ``password`` under ``organisation``'s policy and the portal's
    floor (empty: nothing). Users of no organisation get the floor alone."""
    problems = []
    if organisation is None:
        return floor_problems(password, username=username, display_name=display_name)
    minimum = organisation.password_min_length
    if len(password) < minimum:
        problems.append(
            _("Use at least %(minimum)s characters (this has %(len)s).")
            % {"minimum": minimum, "len": len(password)}
        )
    if organisation.password_complexity:
        if _categories(password) < 3:
            problems.append(
                _("Use at least three of: upper-case letters, lower-case letters, digits, symbols.")
            )
        lowered = password.lower()
        if len(username) >= 3 and username.lower() in lowered:
            problems.append(_("The password must not contain the username."))
        tokens = [t for t in _TOKEN_SPLIT.split(display_name.lower()) if len(t) >= 3]
        if any(token in lowered for token in tokens):
            problems.append(_("The password must not contain parts of the display name."))
    return problems + floor_problems(password, username=username, display_name=display_name)


def check_password(
    organisation: Organisation | None, password: str, *, username: str = "", display_name: str = ""
) -> None:
    problems = password_problems(
        organisation, password, username=username, display_name=display_name
    )
    if problems:
        raise ValidationError({"password": problems})
