"""The monthly invoice run at scale: ``run_period`` for N postpaid customers with 10 seats
each, against one SQL aggregate of the same usage in the same run; and the queries per
invoice, which stay the same whatever N.

Seeds (once per N) a scale tree (``customers.management.scale.seed_scale``) and, for every
customer, a postpaid account in Germany, one subscription (10.00 a seat-month) and 30 daily
usage snapshots of 10 seats (November 2030). Then, alternating, each round:

- Canopy: ``billing.actions.invoicing.run_period``: the VAT table, the accounts, per batch
  of 500 customers three aggregate queries (seat-days, setup fees, purchases), then per
  customer a transaction writing its draft (invoice row, lines, totals); the drafts of the
  previous round are deleted first, untimed;
- baseline: one ``SELECT`` summing every subscription's seat-days of the period and
  multiplying by its plan's price (the same rows read, the same arithmetic; nothing
  written), fetched whole.

Prints each side's median seconds, the ratio Canopy / baseline, and the queries per invoice.
Uses its own database (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/canopy_bench``); not a timed test. Usage:

    python bench/billing_run.py --customers 1000 --rounds 3
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

from billing.actions.invoicing import run_period  # noqa: E402
from billing.models import (  # noqa: E402
    BillingAccount,
    BillingMode,
    Invoice,
    InvoiceLine,
    UsageSnapshot,
    VatRate,
)
from core.actors import SYSTEM  # noqa: E402
from customers.management.scale import seed_scale  # noqa: E402
from customers.models import CustomerService, Organisation, Plan, Service  # noqa: E402

SEATS = 10
PRICE = Decimal("10.00")
PERIOD = datetime.date(2030, 11, 1)
DAYS = 30

BASELINE_SQL = """
SELECT u.organisation_id, u.subscription_id, SUM(u.seats) * p.price_per_user_month / %(days)s
FROM billing_usagesnapshot u
JOIN customers_customerservice s ON s.id = u.subscription_id
JOIN customers_plan p ON p.id = s.plan_id
WHERE u.day BETWEEN %(start)s AND %(end)s AND s.service_id = %(service)s
GROUP BY u.organisation_id, u.subscription_id, p.price_per_user_month
"""


def seed(customers_wanted: int) -> int:
    """The bench's customers, subscriptions, accounts and snapshots (made once per N)."""
    prefix = f"BR{customers_wanted}X"
    service = Service.objects.filter(code=f"{prefix}SVC").first()
    if service is not None:
        return service.pk
    started = time.perf_counter()
    if not Organisation.objects.filter(code__startswith=prefix).exists():  # a seed cut short
        seed_scale(organisations=int(customers_wanted * 1.03) + 10, users=0, prefix=prefix)
    customers = list(
        Organisation.objects.filter(
            code__startswith=prefix, is_reseller=False, parent__isnull=False
        ).order_by("pk")[:customers_wanted]
    )
    service = Service.objects.create(
        code=f"{prefix}SVC", name=f"Bench mail {customers_wanted}", service_type="security_group"
    )
    plan = Plan.objects.create(service=service, name="Standard", price_per_user_month=PRICE)
    VatRate.objects.get_or_create(
        country="DE", valid_from=datetime.date(2020, 1, 1), defaults={"rate": Decimal("19")}
    )
    subscriptions = CustomerService.objects.bulk_create(
        [
            CustomerService(organisation=c, service=service, plan=plan, status="active")
            for c in customers
        ],
        batch_size=5000,
    )
    BillingAccount.objects.bulk_create(
        [
            BillingAccount(organisation=c, billing_mode=BillingMode.POSTPAID, tax_country="DE")
            for c in customers
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    rows = (
        UsageSnapshot(
            subscription=s,
            organisation_id=s.organisation_id,
            day=PERIOD + datetime.timedelta(days=d),
            seats=SEATS,
            organisation_status="active",
            unit_rate=0,
            units=0,
        )
        for s in subscriptions
        for d in range(DAYS)
    )
    batch: list[UsageSnapshot] = []
    for row in rows:
        batch.append(row)
        if len(batch) == 10000:
            UsageSnapshot.objects.bulk_create(batch)
            batch = []
    UsageSnapshot.objects.bulk_create(batch)
    print(
        f"seeded {len(customers)} customers, {len(customers) * DAYS} snapshots in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return service.pk


def baseline(service: int) -> tuple[float, int]:
    end = PERIOD + datetime.timedelta(days=DAYS - 1)
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            BASELINE_SQL, {"days": DAYS, "start": PERIOD, "end": end, "service": service}
        )
        rows = cursor.fetchall()
        return time.perf_counter() - started, len(rows)


class Counter:
    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        return execute(sql, params, many, context)


def clear(service: int) -> None:
    drafts = Invoice.objects.filter(
        period_start=PERIOD, lines__subscription__service_id=service
    ).values("pk")
    with transaction.atomic():
        ids = list(drafts)
        InvoiceLine.objects.filter(invoice_id__in=[r["pk"] for r in ids]).delete()
        Invoice.objects.filter(pk__in=[r["pk"] for r in ids]).delete()


def canopy(service: int) -> tuple[float, int, int]:
    clear(service)
    counter = Counter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        run = run_period(PERIOD, actor=SYSTEM)
        elapsed = time.perf_counter() - started
    return elapsed, run.drafted, counter.queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    service = seed(args.customers)
    # Only this N's customers are postpaid (one database may hold several seeds).
    seeded = BillingAccount.objects.filter(organisation__code__startswith="BR")
    seeded.update(billing_mode=BillingMode.PREPAID)
    seeded.filter(organisation__code__startswith=f"BR{args.customers}X").update(
        billing_mode=BillingMode.POSTPAID
    )
    ours, theirs = [], []
    drafted = queries = rows = 0
    for _ in range(args.rounds):
        seconds, rows = baseline(service)
        theirs.append(seconds)
        seconds, drafted, queries = canopy(service)
        ours.append(seconds)
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(
        f"{drafted} invoices ({rows} subscriptions aggregated): Canopy "
        f"{statistics.median(ours):.2f} s, one SQL aggregate {statistics.median(theirs):.3f} s, "
        f"ratio {ratio:.0f}; {queries} queries, {queries / max(drafted, 1):.2f} per invoice"
    )


if __name__ == "__main__":
    main()
