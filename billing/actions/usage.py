"""The daily debit: every prepaid customer pays for the seat-days its subscriptions used.

``run_daily_usage(day)`` works in two set-based steps, so 100,000 subscriptions take a few
statements rather than 100,000 round trips (``bench/billing_daily.py`` measures it):

1. the snapshot: one ``INSERT ... SELECT`` of every subscription's seats that day, with the
   plan's unit rate, ``ON CONFLICT DO NOTHING`` on (subscription, day): a second run adds
   nothing;
2. the debit, one batch of accounts per transaction: the accounts are locked (``FOR UPDATE``,
   in id order, the order every writer of a balance takes), then one statement inserts a
   ledger row per (subscription, day) not debited yet, ``ON CONFLICT DO NOTHING`` on the
   ledger's partial unique index, and moves each balance by exactly the rows it inserted.

A worker killed halfway loses only its open batch (rolled back); the next run debits what is
left and skips what is done: no gap, no double debit. Accounts crossing their warn level get
the warning as for any other debit (``billing.actions.warnings``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from billing.actions.reports import roll_up
from billing.actions.warnings import after_balance_change
from billing.models import BillingAccount, BillingMode, Cause, Transaction, UsageSnapshot
from customers.models import CustomerService, Organisation, Plan, Service, UserService


@dataclass
class DailyRun:
    day: datetime.date
    snapshots: int = 0
    debits: int = 0
    accounts: int = 0
    units: Decimal = Decimal("0")


def _tables() -> dict[str, str]:
    return {
        "snapshot": UsageSnapshot._meta.db_table,
        "ledger": Transaction._meta.db_table,
        "account": BillingAccount._meta.db_table,
        "subscription": CustomerService._meta.db_table,
        "plan": Plan._meta.db_table,
        "service": Service._meta.db_table,
        "assignment": UserService._meta.db_table,
        "organisation": Organisation._meta.db_table,
    }


SNAPSHOT_SQL = """
INSERT INTO {snapshot} (subscription_id, organisation_id, day, seats, organisation_status,
                        unit_rate, units, debited, created)
SELECT s.id, s.organisation_id, %(day)s, COALESCE(a.seats, 0), o.status, p.unit_rate,
       COALESCE(a.seats, 0) * p.unit_rate, false, now()
FROM {subscription} s
JOIN {plan} p ON p.id = s.plan_id
JOIN {organisation} o ON o.id = s.organisation_id
LEFT JOIN (
    SELECT subscription_id, count(*) AS seats FROM {assignment} GROUP BY subscription_id
) a ON a.subscription_id = s.id
ON CONFLICT (subscription_id, day) DO NOTHING
"""

# Accounts the day's debit concerns: prepaid, billing active, something to pay, not done.
DUE_ACCOUNTS_SQL = """
SELECT DISTINCT acc.id
FROM {snapshot} u
JOIN {account} acc ON acc.organisation_id = u.organisation_id
JOIN {organisation} o ON o.id = u.organisation_id
WHERE u.day = %(day)s AND u.units > 0 AND NOT u.debited AND acc.billing_mode = %(prepaid)s
  AND NOT o.inactive_billing
ORDER BY acc.id
"""

LOCK_SQL = "SELECT id FROM {account} WHERE id = ANY(%(ids)s) ORDER BY id FOR UPDATE"

# Runs after LOCK_SQL in the same transaction, so its snapshot sees every debit committed
# before the locks were granted.
DEBIT_SQL = """
WITH due AS (
    SELECT u.subscription_id, u.units, u.seats, acc.id AS account_id, acc.balance,
           sv.name AS service_name
    FROM {snapshot} u
    JOIN {account} acc ON acc.organisation_id = u.organisation_id
    JOIN {subscription} s ON s.id = u.subscription_id
    JOIN {service} sv ON sv.id = s.service_id
    WHERE u.day = %(day)s AND u.units > 0 AND NOT u.debited AND acc.id = ANY(%(ids)s)
), marked AS (
    UPDATE {snapshot} SET debited = true
    WHERE day = %(day)s AND subscription_id IN (SELECT subscription_id FROM due)
), inserted AS (
    INSERT INTO {ledger} (account_id, transaction_type, amount, description, cause, created,
                          balance_after, subscription_id, usage_day)
    SELECT account_id, 'debit', units,
           LEFT(%(label)s || ' ' || %(day_text)s || ': ' || service_name || ', ' || seats
                || ' ' || %(seats)s, 300),
           %(cause)s, now(),
           balance - SUM(units) OVER (PARTITION BY account_id ORDER BY subscription_id),
           subscription_id, %(day)s
    FROM due
    ON CONFLICT (subscription_id, usage_day) WHERE cause = 'daily_usage' DO NOTHING
    RETURNING account_id, amount
), totals AS (
    SELECT account_id, SUM(amount) AS total, COUNT(*) AS n FROM inserted GROUP BY account_id
)
UPDATE {account} acc SET balance = acc.balance - totals.total
FROM totals WHERE acc.id = totals.account_id
RETURNING acc.id, acc.balance + totals.total, totals.total, totals.n,
          (acc.unit_warn_level IS NOT NULL AND acc.balance <= acc.unit_warn_level
              AND acc.warned_at IS NULL)
          OR (acc.cutoff_balance IS NOT NULL AND acc.balance <= acc.cutoff_balance
              AND acc.cut_off_since IS NULL)
"""


def snapshot_usage(day: datetime.date) -> int:
    with connection.cursor() as cursor:
        cursor.execute(SNAPSHOT_SQL.format(**_tables()), {"day": day})
        return cursor.rowcount


def _debit_batch(day: datetime.date, ids: list[int], run: DailyRun) -> None:
    tables = _tables()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(LOCK_SQL.format(**tables), {"ids": ids})
        cursor.execute(
            DEBIT_SQL.format(**tables),
            {
                "ids": ids,
                "day": day,
                "day_text": day.isoformat(),
                "cause": Cause.DAILY_USAGE,
                "label": _("Daily usage"),
                "seats": _("seats"),
            },
        )
        crossed = []
        for account_id, before, total, count, warn in cursor.fetchall():
            run.accounts += 1
            run.debits += count
            run.units += total
            if warn:
                crossed.append((account_id, before))
        for account_id, before in crossed:
            account = BillingAccount.objects.select_related("organisation").get(pk=account_id)
            after_balance_change(account, before)


def run_daily_usage(
    day: datetime.date, *, actor: Any, batch: int = 2000, stop_after: int | None = None
) -> DailyRun:
    """Snapshot ``day`` and debit every prepaid account for it (see the module's text).

    ``actor`` is ``SYSTEM`` (the beat task, the command): the ledger rows record nobody.
    ``stop_after`` (batches) is for the fault tests and the benchmark.
    """
    del actor  # the debit is the portal's own; there is no person to check
    run = DailyRun(day=day)
    with transaction.atomic():
        run.snapshots = snapshot_usage(day)
        # The Reports' per-issuer totals of the same day (billing.actions.reports).
        roll_up(day)
    with connection.cursor() as cursor:
        cursor.execute(
            DUE_ACCOUNTS_SQL.format(**_tables()),
            {"day": day, "prepaid": BillingMode.PREPAID, "cause": Cause.DAILY_USAGE},
        )
        due = [row[0] for row in cursor.fetchall()]
    for number, start in enumerate(range(0, len(due), batch)):
        if stop_after is not None and number >= stop_after:
            break
        _debit_batch(day, due[start : start + batch], run)
    return run
