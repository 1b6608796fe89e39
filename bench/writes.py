"""What one organisation write costs as the tree grows: create, move and delete.

Seeds (or reuses) trees of each size into a benchmark database (``BENCH_DATABASE_URL``,
default ``postgres://postgres@127.0.0.1:5432/canopy_bench``; organisations only, no users),
then times, 20 times each and inside a transaction that is rolled back, so the tree is the
same for every sample:

- create: ``create_organisation`` of a customer under the tree's first reseller (the worst
  place for nested sets: every node after it is renumbered);
- move: ``move_organisation`` of one of that reseller's customers to the last reseller;
- delete: the hard delete the retention purge makes (``Organisation.delete``).

Prints the median and the most rows any one sample's UPDATEs touched (the nested-set
renumbering). The target (issue 15) is <= 100 ms at 100,000 organisations. Usage:

    python bench/writes.py --sizes 1000,100000
"""

import argparse
import os
import statistics
import sys
import time
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

from core.actors import SYSTEM  # noqa: E402
from customers.actions.organisations import create_organisation, move_organisation  # noqa: E402
from customers.management.scale import seed_scale  # noqa: E402
from customers.models import Organisation  # noqa: E402

SAMPLES = 20


class Rollback(Exception):
    pass


class UpdatedRows:
    """Adds up the rows the UPDATE statements of a block changed."""

    def __init__(self) -> None:
        self.rows = 0

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith("UPDATE"):
            self.rows += max(context["cursor"].rowcount, 0)
        return result


def sample(write) -> tuple[float, int]:
    """Seconds and rows updated by ``write()``, run in a transaction that is rolled back."""
    counter = UpdatedRows()
    started = time.perf_counter()
    try:
        with connection.execute_wrapper(counter), transaction.atomic():
            write()
            elapsed = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return elapsed, counter.rows


def prepare(size: int) -> tuple[Organisation, float]:
    prefix = f"W{size}"
    root = Organisation.objects.filter(code=f"{prefix}P").first()
    seeding = 0.0
    if root is None:
        started = time.perf_counter()
        root = seed_scale(organisations=size, users=0, prefix=prefix)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE customers_organisation")
        seeding = time.perf_counter() - started
    return root, seeding


def measure(size: int) -> list[str]:
    root, seeding = prepare(size)
    resellers = Organisation.objects.filter(parent=root, is_reseller=True)
    first = resellers.order_by("tree_id").first()
    last = resellers.order_by("-tree_id").first()
    customer = first.get_children().filter(is_reseller=False).first()
    writes = {
        "create": lambda: create_organisation(actor=SYSTEM, parent=first, name="Bench new"),
        "move": lambda: move_organisation(actor=SYSTEM, organisation=customer, new_parent=last),
        "delete": lambda: Organisation.objects.get(pk=customer.pk).delete(),
    }
    lines = []
    for name, write in writes.items():
        samples = [sample(write) for _ in range(SAMPLES)]
        median = statistics.median(seconds for seconds, _ in samples) * 1000
        rows = max(rows for _, rows in samples)
        lines.append(f"{size:>10} {seeding:>9.1f} {name:>7} {median:>10.1f} {rows:>10}")
        seeding = 0.0
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000", help="organisations per tree")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"{'orgs':>10} {'seed s':>9} {'write':>7} {'median ms':>10} {'rows upd':>10}")
    for size in (int(part) for part in args.sizes.split(",")):
        for line in measure(size):
            print(line, flush=True)


if __name__ == "__main__":
    main()
