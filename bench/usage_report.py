"""The Usage report's chart at scale: a month of seats per service per day for a whole
provider (and for one reseller), read from the daily rollup, against one SQL query summing
the same month's usage snapshots over the same subtree, in the same run.

Seeds (once) a scale tree (``customers.management.scale.seed_scale``, 100,000 organisations
by default) with ``--services`` subscriptions per customer and ``--days`` days of snapshots
(written straight by SQL: seats vary by subscription and day), then rolls each day up as the
daily run does (``billing.actions.reports.roll_up``, timed per day). Then, alternating:

- Canopy: ``billing.reports.usage.daily_totals(root, month)``: for a subtree of more than
  ``DIRECT_UP_TO`` organisations the rollup rows of the issuers inside it plus the root's own
  snapshots (two queries); for a smaller one its snapshots directly (one query);
- baseline: one ``SELECT service, day, SUM(seats)`` over every snapshot in the subtree
  (the snapshot table's own index on (day, organisation), joined to the tree).

Checks both give the same totals; prints each side's median seconds and the ratio baseline /
Canopy (how many times faster the chart is with the rollup). Uses its own database
(``BENCH_DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/canopy_bench_reports``);
not a timed test. Usage:

    python bench/usage_report.py --organisations 100000 --services 2 --days 30 --rounds 5
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/canopy_bench_reports"
)
os.environ.setdefault("SECRET_KEY", "benchmark-only")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from billing.actions.reports import roll_up  # noqa: E402
from billing.models import UsageRollup, UsageSnapshot  # noqa: E402
from billing.reports.usage import Period, daily_totals  # noqa: E402
from core.scoping import FOREST_SPAN  # noqa: E402
from customers.management.scale import seed_scale  # noqa: E402
from customers.models import CustomerService, Organisation, Plan, Service  # noqa: E402

PREFIX = "UR"
FIRST_DAY = datetime.date(2030, 1, 1)

SNAPSHOTS_SQL = """
INSERT INTO billing_usagesnapshot (subscription_id, organisation_id, day, seats, unit_rate,
                                   units, debited, created)
SELECT s.id, s.organisation_id, d::date, 1 + (s.id + EXTRACT(DAY FROM d)::int) %% 9, 0, 0,
       true, now()
FROM customers_customerservice s
CROSS JOIN generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d
WHERE s.service_id = ANY(%(services)s)
ON CONFLICT DO NOTHING
"""

BASELINE_SQL = """
SELECT sv.name, u.day, SUM(u.seats)
FROM billing_usagesnapshot u
JOIN customers_organisation o ON o.id = u.organisation_id
JOIN customers_customerservice s ON s.id = u.subscription_id
JOIN customers_service sv ON sv.id = s.service_id
WHERE o.tree_id >= %(tree)s AND o.tree_id <= %(last_tree)s AND o.lft >= %(lft)s
  AND o.lft <= %(rght)s
  AND u.day >= %(first)s AND u.day <= %(last)s AND sv.service_type <> 'reseller'
GROUP BY sv.name, u.day
"""


def seed(organisations: int, services: int, days: int) -> Organisation:
    """The tree, subscriptions, snapshots and rollups, each step skipped when done already
    (a run stopped halfway resumes where it stopped)."""
    started = time.perf_counter()
    root = Organisation.objects.filter(code=f"{PREFIX}P").first()
    if root is None:
        root = seed_scale(organisations=organisations, users=0, prefix=PREFIX)
    customers = list(
        Organisation.objects.filter(
            code__startswith=PREFIX, is_reseller=False, parent__isnull=False
        ).values_list("pk", flat=True)
    )
    plans = list(Plan.objects.filter(service__code__startswith=f"{PREFIX}SVC"))
    if not plans:
        for number in range(services):
            service = Service.objects.create(
                code=f"{PREFIX}SVC{number}", name=f"Bench {number}", service_type="security_group"
            )
            plans.append(Plan.objects.create(service=service, name="Standard"))
        CustomerService.objects.bulk_create(
            [
                CustomerService(organisation_id=c, service=p.service, plan=p, status="active")
                for c in customers
                for p in plans
            ],
            batch_size=5000,
        )
    last = FIRST_DAY + datetime.timedelta(days=days - 1)
    if not UsageSnapshot.objects.filter(day=last).exists():
        with connection.cursor() as cursor:
            cursor.execute(
                SNAPSHOTS_SQL,
                {"first": FIRST_DAY, "last": last, "services": [p.service_id for p in plans]},
            )
            cursor.execute("ANALYZE")
    print(
        f"seeded {len(customers)} customers, {len(customers) * len(plans)} subscriptions, "
        f"{UsageSnapshot.objects.count()} snapshots; {time.perf_counter() - started:.0f} s"
    )
    rolled = []
    done = set(UsageRollup.objects.values_list("day", flat=True).distinct())
    for n in range(days):
        day = FIRST_DAY + datetime.timedelta(days=n)
        if day in done:
            continue
        started = time.perf_counter()
        roll_up(day)
        rolled.append(time.perf_counter() - started)
    if rolled:
        print(f"roll_up per day: median {statistics.median(rolled):.2f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE billing_usagerollup")
    print(f"{UsageRollup.objects.count()} rollup rows in all")
    root.refresh_from_db()
    return root


def baseline(root: Organisation, period: Period) -> tuple[float, dict]:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            BASELINE_SQL,
            {
                # A provider's subtree is every tree of its forest (core.scoping).
                "tree": root.tree_id,
                "last_tree": root.tree_id + (FOREST_SPAN - 1 if root.parent_id is None else 0),
                "lft": 0 if root.parent_id is None else root.lft,
                "rght": 2**31 - 1 if root.parent_id is None else root.rght,
                "first": period.start,
                "last": period.end,
            },
        )
        rows = cursor.fetchall()
    return time.perf_counter() - started, {(name, day): seats for name, day, seats in rows}


def canopy(root: Organisation, period: Period) -> tuple[float, dict]:
    started = time.perf_counter()
    totals = daily_totals(root, period)
    elapsed = time.perf_counter() - started
    return elapsed, {(n, d): s for n, days in totals.items() for d, s in days.items()}


def compare(label: str, root: Organisation, period: Period, rounds: int) -> None:
    ours, theirs = [], []
    for _ in range(rounds):
        seconds, expected = baseline(root, period)
        theirs.append(seconds)
        seconds, got = canopy(root, period)
        ours.append(seconds)
        assert got == expected, f"{label}: the rollup and the snapshots disagree"
    ratio = statistics.median(theirs) / statistics.median(ours)
    print(
        f"{label}: Canopy's chart {statistics.median(ours) * 1000:.1f} ms, "
        f"summing the snapshots {statistics.median(theirs) * 1000:.1f} ms: "
        f"{ratio:.1f}x faster"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisations", type=int, default=100_000)
    parser.add_argument("--services", type=int, default=2)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    root = seed(args.organisations, args.services, args.days)
    period = Period(FIRST_DAY, FIRST_DAY + datetime.timedelta(days=args.days - 1))
    print(f"tree: {root.get_descendant_count() + 1} organisations, {period}")
    compare("provider", root, period, args.rounds)
    reseller = Organisation.objects.get(code=f"{PREFIX}R0")
    compare(
        f"reseller ({reseller.get_descendant_count()} below it)",
        reseller,
        period,
        args.rounds,
    )


if __name__ == "__main__":
    main()
