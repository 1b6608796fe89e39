"""The monthly invoice run at scale: ``run_period`` for N postpaid customers with 10 seats
each, against one SQL aggregate of the same usage in the same run; and the queries per
invoice, which stay the same whatever N.

Seeds (once per N, in a few ``INSERT ... SELECT ... FROM generate_series`` statements, then
``ANALYZE``) a provider, resellers of 50 customers each and, for every customer, a postpaid
account in Germany, one subscription (10.00 a seat-month) and 30 daily usage snapshots of 10
seats (November 2030). Then, alternating, each round:

- Canopy: ``billing.actions.invoicing.run_period``: the VAT table, the accounts, per batch
  of 500 customers four queries (seat-days, the subscriptions' names and prices, setup
  fees, purchases), then per batch one transaction writing its drafts (invoice rows with
  their totals, lines); the drafts of the previous round are deleted first and the two
  tables vacuumed, untimed;
- baseline: one ``SELECT`` summing every subscription's seat-days of the period and
  multiplying by its plan's price (the same rows read, the same arithmetic; nothing
  written), fetched whole.

Prints each side's median seconds, the ratio Canopy / baseline, and the queries per invoice.
Uses its own database (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/canopy_billrun_bench``); not a timed test. Usage:

    python bench/billing_run.py --customers 1000,100000 --rounds 3
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
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/canopy_billrun_bench"
)
os.environ.setdefault("SECRET_KEY", "benchmark-only")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Model  # noqa: E402

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
from customers.models import CustomerService, Organisation, Plan, Service  # noqa: E402

SEATS = 10
PRICE = Decimal("10.00")
PERIOD = datetime.date(2030, 11, 1)
DAYS = 30
FANOUT = 50

BASELINE_SQL = """
SELECT u.organisation_id, u.subscription_id, SUM(u.seats) * p.price_per_user_month / %(days)s
FROM billing_usagesnapshot u
JOIN customers_customerservice s ON s.id = u.subscription_id
JOIN customers_plan p ON p.id = s.plan_id
WHERE u.day BETWEEN %(start)s AND %(end)s AND s.service_id = %(service)s
  AND u.organisation_status <> 'suspended'
GROUP BY u.organisation_id, u.subscription_id, p.price_per_user_month
"""


def insert_select(model: type[Model], source: str, columns: dict[str, str], **params) -> int:
    """``INSERT INTO model's table SELECT ... FROM source``: ``columns`` maps a column to its
    SQL; every other not-null column gets the field's default (``now()`` for timestamps)."""
    names, values = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        names.append(f.column)
        if f.column in columns:
            values.append(columns[f.column])
            continue
        default = f.get_default()
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            values.append("now()")
        elif default is None and f.null:
            values.append("NULL")
        elif default is None:
            raise ValueError(f"{model.__name__}.{f.name} needs a value")
        else:
            params[f"d_{f.column}"] = f.get_db_prep_save(default, connection)
            values.append(f"%(d_{f.column})s")
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "
        f"SELECT {', '.join(values)} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def seed(customers_wanted: int) -> int:
    """The bench's customers, subscriptions, accounts and snapshots (made once per N), in a
    handful of ``INSERT ... SELECT ... FROM generate_series`` statements: a provider alone in
    its tree, resellers of 50 customers each (a tree each, directly below the provider), one
    German postpaid account, one subscription and ``DAYS`` snapshots per customer."""
    prefix = f"BR{customers_wanted}X"
    service = Service.objects.filter(code=f"{prefix}SVC").first()
    if service is not None:
        return service.pk
    started = time.perf_counter()
    resellers = -(-customers_wanted // FANOUT)
    with transaction.atomic():
        forest = Organisation.objects.next_tree_id(None)
        common = {"status": "'active'", "created": "now()", "updated": "now()"}
        insert_select(
            Organisation,
            "(SELECT 1) AS one",
            {
                **common,
                "code": "%(prefix)s || 'P'",
                "name": "%(prefix)s || ' Provider'",
                "is_reseller": "true",
                "tree_id": "%(forest)s",
                "lft": "1",
                "rght": "2",
                "level": "0",
            },
            prefix=prefix,
            forest=forest,
        )
        provider = Organisation.objects.get(code=f"{prefix}P")
        # Customer g sits below reseller g % R, as its (g // R)-th child.
        insert_select(
            Organisation,
            "generate_series(0, %(resellers)s - 1) AS g",
            {
                **common,
                "code": "%(prefix)s || 'R' || g",
                "name": "%(prefix)s || ' Reseller ' || g",
                "is_reseller": "true",
                "parent_id": "%(provider)s",
                "tree_id": "%(forest)s + 1 + g",
                "lft": "1",
                "rght": "2 + 2 * ((%(customers)s - 1 - g) / %(resellers)s + 1)",
                "level": "0",
            },
            prefix=prefix,
            forest=forest,
            provider=provider.pk,
            resellers=resellers,
            customers=customers_wanted,
        )
        insert_select(
            Organisation,
            "generate_series(0, %(customers)s - 1) AS g "
            "JOIN customers_organisation r ON r.code = %(prefix)s || 'R' || (g %% %(resellers)s)",
            {
                **common,
                "code": "%(prefix)s || 'C' || g",
                "name": "%(prefix)s || ' Customer ' || g",
                "is_reseller": "false",
                "parent_id": "r.id",
                "tree_parent_id": "r.id",
                "tree_id": "r.tree_id",
                "lft": "2 + 2 * (g / %(resellers)s)",
                "rght": "3 + 2 * (g / %(resellers)s)",
                "level": "1",
            },
            prefix=prefix,
            resellers=resellers,
            customers=customers_wanted,
        )
        customers = "customers_organisation c WHERE c.code LIKE %(like)s"
        like = f"{prefix}C%"
        service = Service.objects.create(
            code=f"{prefix}SVC",
            name=f"Bench mail {customers_wanted}",
            service_type="security_group",
        )
        plan = Plan.objects.create(service=service, name="Standard", price_per_user_month=PRICE)
        VatRate.objects.get_or_create(
            country="DE", valid_from=datetime.date(2020, 1, 1), defaults={"rate": Decimal("19")}
        )
        insert_select(
            BillingAccount,
            customers,
            {
                "organisation_id": "c.id",
                "billing_mode": "%(mode)s",
                "tax_country": "'DE'",
                "currency": "'EUR'",
            },
            like=like,
            mode=BillingMode.POSTPAID,
        )
        insert_select(
            CustomerService,
            customers,
            {
                "organisation_id": "c.id",
                "service_id": "%(service)s",
                "plan_id": "%(plan)s",
                "status": "'active'",
                "created": "%(created)s",
            },
            like=like,
            service=service.pk,
            plan=plan.pk,
            created=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC),
        )
        snapshots = insert_select(
            UsageSnapshot,
            "customers_customerservice s "
            "CROSS JOIN generate_series(0, %(days)s - 1) AS d WHERE s.service_id = %(service)s",
            {
                "subscription_id": "s.id",
                "organisation_id": "s.organisation_id",
                "day": "%(start)s::date + d",
                "seats": "%(seats)s",
                "organisation_status": "'active'",
                "unit_rate": "0",
                "units": "0",
            },
            days=DAYS,
            service=service.pk,
            start=PERIOD,
            seats=SEATS,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"seeded {customers_wanted} customers ({resellers} resellers), {snapshots} snapshots "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
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
    # A month's run meets tables autovacuum has kept; without this each round would meet the
    # dead rows of every round before it.
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Invoice._meta.db_table}, {InvoiceLine._meta.db_table}")


def canopy(service: int) -> tuple[float, int, int]:
    clear(service)
    counter = Counter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        run = run_period(PERIOD, actor=SYSTEM)
        elapsed = time.perf_counter() - started
    return elapsed, run.drafted, counter.queries


def measure(customers: int, rounds: int) -> None:
    service = seed(customers)
    # Only this N's customers are postpaid (one database may hold several seeds).
    seeded = BillingAccount.objects.filter(organisation__code__startswith="BR")
    seeded.exclude(billing_mode=BillingMode.PREPAID).update(billing_mode=BillingMode.PREPAID)
    seeded.filter(organisation__code__startswith=f"BR{customers}X").update(
        billing_mode=BillingMode.POSTPAID
    )
    ours, theirs = [], []
    drafted = queries = rows = 0
    for _ in range(rounds):
        seconds, rows = baseline(service)
        theirs.append(seconds)
        seconds, drafted, queries = canopy(service)
        ours.append(seconds)
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(
        f"{customers} customers: {drafted} invoices ({rows} subscriptions aggregated): Canopy "
        f"{statistics.median(ours):.2f} s, one SQL aggregate {statistics.median(theirs):.3f} s, "
        f"ratio {ratio:.1f}; {queries} queries, {queries / max(drafted, 1):.3f} per invoice",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--customers", default="1000", help="comma-separated sizes, e.g. 1000,100000"
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    for customers in (int(n) for n in args.customers.split(",")):
        measure(customers, args.rounds)


if __name__ == "__main__":
    main()
