"""Gapless document numbers: ``<ISSUER CODE>-<year>-<000123>`` for invoices,
``<ISSUER CODE>-CN-<year>-<000123>`` for credit notes.

The sequence row of (issuer, kind, year) is created if missing (``INSERT ... ON CONFLICT DO
NOTHING``, so two first issues of a year do not collide) and then locked
(``SELECT ... FOR UPDATE``) by the transaction that issues: a second issuer waits for the
first to commit or roll back. A rolled-back issue gives its number back with its transaction,
so the numbers are consecutive, whatever fails.
"""

from __future__ import annotations

import datetime

from django.db import connection, transaction

from billing.models import DocumentKind, DocumentSequence
from customers.models import Organisation

ENSURE_SQL = """
INSERT INTO {table} (issuer_id, kind, year, next_number) VALUES (%s, %s, %s, 1)
ON CONFLICT (issuer_id, kind, year) DO NOTHING
"""


def next_number(issuer: Organisation, kind: str, day: datetime.date) -> str:
    """Take the next number; must run inside the issuing transaction."""
    assert transaction.get_connection().in_atomic_block, "numbers are taken in a transaction"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                ENSURE_SQL.format(table=DocumentSequence._meta.db_table),
                [issuer.pk, kind, day.year],
            )
    else:  # SQLite (`make run`) takes the whole database's write lock at BEGIN anyway
        DocumentSequence.objects.get_or_create(issuer=issuer, kind=kind, year=day.year)
    sequence = DocumentSequence.objects.select_for_update().get(
        issuer=issuer, kind=kind, year=day.year
    )
    number = sequence.next_number
    DocumentSequence.objects.filter(pk=sequence.pk).update(next_number=number + 1)
    infix = "-CN" if kind == DocumentKind.CREDIT_NOTE else ""
    return f"{issuer.code}{infix}-{day.year}-{number:06d}"
