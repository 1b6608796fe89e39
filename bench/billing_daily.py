"""The daily debit at scale: ``run_daily_usage`` for 100,000 subscriptions, against one SQL
``INSERT ... SELECT`` doing the same arithmetic in the same run.

Seeds (once) a scale tree (``customers.management.scale.seed_scale``) and, for every customer,
a prepaid billing account and a subscription to each of enough services to reach
``--subscriptions``, with two seats each at a unit rate of 0.50. Then, alternating, for fresh
days:

- Canopy: ``billing.actions.usage.run_daily_usage(day)``: the usage snapshot, the due
  accounts, then per batch of accounts the row locks, one ledger row per (subscription,
  day) with its running balance, the balances moved, each batch its own transaction;
- baseline: one statement, ``INSERT INTO`` the ledger table ``SELECT`` each subscription's
  seats times its plan's unit rate, grouped from the same assignments, for the same accounts
  (the same rows into the same table with its indexes and foreign keys, checked at once;
  no snapshot, no balances, no locks, no batches), rolled back after timing.

Prints each side's median seconds and the ratio Canopy / baseline (target <= 3). Uses its own
database (``BENCH_DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/canopy_bench``);
not a timed test. Usage:

    python bench/billing_daily.py --subscriptions 100000 --rounds 3
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/canopy_bench"
)
os.environ.setdefault("SECRET_KEY", "benchmark-only")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from billing.actions.usage import run_daily_usage  # noqa: E402
from billing.models import BillingAccount, Transaction, UsageSnapshot  # noqa: E402
from core.actors import SYSTEM  # noqa: E402
from customers.management.scale import seed_scale  # noqa: E402
from customers.models import (  # noqa: E402
    CustomerService,
    Organisation,
    Plan,
    Service,
    User,
    UserService,
)

PREFIX = "BD"
SEATS = 2
RATE = Decimal("0.50")

# The same ledger rows (account, amount = seats x rate, subscription, day) straight into the
# ledger table, its indexes and foreign keys, in one statement; rolled back after timing.
BASELINE_SQL = """
INSERT INTO billing_transaction (account_id, transaction_type, amount, description, cause,
                                 created, balance_after, subscription_id, usage_day)
SELECT acc.id, 'debit', COUNT(a.id) * p.unit_rate, 'baseline', 'daily_usage', now(),
       acc.balance, s.id, %(day)s
FROM customers_customerservice s
JOIN customers_plan p ON p.id = s.plan_id
JOIN customers_userservice a ON a.subscription_id = s.id
JOIN billing_billingaccount acc ON acc.organisation_id = s.organisation_id
WHERE s.service_id = ANY(%(services)s)
GROUP BY acc.id, acc.balance, s.id, p.unit_rate
"""


def seed(subscriptions: int) -> list[int]:
    """The bench's customers, services, seats and accounts (made once, found again)."""
    services = list(
        Service.objects.filter(code__startswith=f"{PREFIX}SVC").values_list("pk", flat=True)
    )
    if services:
        return services
    started = time.perf_counter()
    customers_wanted = max(subscriptions // 10, 1)
    seed_scale(
        organisations=int(customers_wanted * 1.03) + 10,
        users=customers_wanted * SEATS * 2,
        prefix=PREFIX,
    )
    customers = list(
        Organisation.objects.filter(
            code__startswith=PREFIX, is_reseller=False, parent__isnull=False
        )
    )
    per_customer = -(-subscriptions // len(customers))
    plans = []
    for number in range(per_customer):
        service = Service.objects.create(
            code=f"{PREFIX}SVC{number}", name=f"Bench {number}", service_type="security_group"
        )
        plans.append(Plan.objects.create(service=service, name="Standard", unit_rate=RATE))
    rows = [
        CustomerService(organisation=c, service=p.service, plan=p, status="active")
        for c in customers
        for p in plans
    ][:subscriptions]
    CustomerService.objects.bulk_create(rows, batch_size=5000)
    people: dict[int, list[int]] = {}
    for user_id, organisation_id in User.objects.filter(
        organisation__in=[c.pk for c in customers]
    ).values_list("pk", "organisation_id"):
        people.setdefault(organisation_id, []).append(user_id)
    assignments = [
        UserService(user_id=user_id, subscription=s)
        for s in rows
        for user_id in people.get(s.organisation_id, [])[:SEATS]
    ]
    UserService.objects.bulk_create(assignments, batch_size=5000)
    BillingAccount.objects.bulk_create(
        [BillingAccount(organisation=c, balance=Decimal("1000000")) for c in customers],
        batch_size=5000,
    )
    print(
        f"seeded {len(rows)} subscriptions, {len(assignments)} seats, {len(customers)} "
        f"accounts in {time.perf_counter() - started:.0f} s"
    )
    return [p.service_id for p in plans]


def baseline(services: list[int], day: datetime.date) -> float:
    """The one statement, its foreign keys checked at once (not at a commit that never
    comes: the rows are rolled back)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        started = time.perf_counter()
        cursor.execute(BASELINE_SQL, {"services": services, "day": day})
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def canopy(day: datetime.date) -> tuple[float, int]:
    started = time.perf_counter()
    run = run_daily_usage(day, actor=SYSTEM)
    return time.perf_counter() - started, run.debits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    services = seed(args.subscriptions)
    latest = Transaction.objects.filter(usage_day__isnull=False).order_by("-usage_day").first()
    day = (latest.usage_day if latest else datetime.date(2030, 1, 1)) + datetime.timedelta(1)
    ours, theirs, debits = [], [], 0
    for _ in range(args.rounds):
        theirs.append(baseline(services, day))
        seconds, debits = canopy(day)
        ours.append(seconds)
        day += datetime.timedelta(1)
    snapshots = UsageSnapshot.objects.filter(day=day - datetime.timedelta(1)).count()
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(
        f"{debits} debits ({snapshots} snapshots) a day: Canopy {statistics.median(ours):.2f} s, "
        f"one INSERT ... SELECT {statistics.median(theirs):.2f} s, ratio {ratio:.2f} "
        f"(target <= 3)"
    )


if __name__ == "__main__":
    main()
