"""Organisation codes: short, unique, letters and digits, generated from the full name."""

import unicodedata
from collections.abc import Iterator

from django.db.models import Q
from django.db.models.functions import Upper

from customers.models import Organisation

CODE_LENGTH = 12
# Candidates looked up per query: the first batch almost always holds a free one.
BATCH = 50


def code_stem(name: str) -> str:
    """ "Société Générale, Inc." -> "SOCIETEGENER": accents folded, everything else dropped."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    letters = "".join(ch for ch in folded if ch.isascii() and ch.isalnum()).upper()
    return letters[:CODE_LENGTH] or "ORG"


def code_candidates(name: str) -> Iterator[str]:
    """``ACME``, ``ACME2``, ``ACME3``...; a long stem is cut to make room for the number, so
    ``SOCIETEGENER`` is followed by ``SOCIETEGENE2`` (which a prefix search on the whole stem
    would never find taken)."""
    stem = code_stem(name)
    yield stem
    number = 2
    while True:
        suffix = str(number)
        yield stem[: CODE_LENGTH - len(suffix)] + suffix
        number += 1


def generate_code(name: str, exclude_pk: int | None = None) -> str:
    """A code from ``name`` that no other organisation uses (``ACME``, ``ACME2``, ...).

    The candidates themselves are looked up (case-insensitively, as the code names an OU),
    a batch per query. Two requests may still pick the same free code at once: the caller
    saves in a savepoint and asks again when the unique index refuses it.
    """
    candidates = code_candidates(name)
    while True:
        batch = [next(candidates) for _ in range(BATCH)]
        # Each candidate as a range of one value, not ``IN``: the trigram index over the same
        # UPPER(code) answers equality too, and the planner picks it whenever its pending
        # list (GIN fastupdate) holds recent inserts, which it then reads whole (60-80 ms at
        # 1,000 organisations, after a few dozen creates). Only the btree answers BETWEEN.
        match = Q()
        for candidate in batch:
            match |= Q(upper_code__range=(candidate, candidate))
        taken = Organisation.objects.annotate(upper_code=Upper("code")).filter(match)
        if exclude_pk is not None:
            taken = taken.exclude(pk=exclude_pk)
        used = set(taken.values_list("upper_code", flat=True))
        for candidate in batch:
            if candidate not in used:
                return candidate
