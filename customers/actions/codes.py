"""Organisation codes: short, unique, letters and digits, generated from the full name."""

import unicodedata

from customers.models import Organisation

CODE_LENGTH = 12


def code_stem(name: str) -> str:
    """ "Société Générale, Inc." -> "SOCIETEGENER": accents folded, everything else dropped."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    letters = "".join(ch for ch in folded if ch.isascii() and ch.isalnum()).upper()
    return letters[:CODE_LENGTH] or "ORG"


def generate_code(name: str, exclude_pk: int | None = None) -> str:
    """A code from ``name`` that no other organisation uses (``ACME``, ``ACME2``, ...).

    One query: every existing code starting with the stem, then the first free number.
    """
    stem = code_stem(name)
    taken = Organisation.objects.filter(code__istartswith=stem)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    used = {code.upper() for code in taken.values_list("code", flat=True)}
    if stem not in used:
        return stem
    number = 2
    while True:
        suffix = str(number)
        candidate = stem[: CODE_LENGTH - len(suffix)] + suffix
        if candidate not in used:
            return candidate
        number += 1
