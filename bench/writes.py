"""What one organisation write costs as the tree grows: create, move and delete.

Seeds (or reuses) trees of each size into a benchmark database (``BENCH_DATABASE_URL``,
default ``postgres://postgres@127.0.0.1:5432/canopy_bench``; organisations only, no users),
then times, 20 times each and inside a transaction that is rolled back, so the tree is the
same for every sample:

- create: ``create_organisation`` of a customer under the tree's first reseller (the worst
  place for nested sets: every node after it is renumbered);
- move: ``move_organisation`` of one of that reseller's customers to the last reseller;
- delete: the hard delete the retention purge makes (``purge_organisation``: the tree's root
  locked, the organisation's users, grants and every record below it removed).

Prints the median wall time, the mean CPU time of this process and of the database
backend serving it (PostgreSQL on the same machine: its /proc utime + stime, 10 ms ticks,
averaged over the samples) so a figure taken on a loaded machine can be read honestly, the
most rows any one sample's UPDATEs touched (the nested-set renumbering) and the load average.
The target (issue 15) is <= 100 ms at 100,000 organisations. Usage:

    python bench/writes.py --sizes 1000,100000

``--prefix S --sizes 100000`` reuses a tree another benchmark seeded (``seed_scale`` with
prefix ``S``, e.g. bench/pages.py's, users included) instead of seeding one: it is never
seeded, migrated or changed, every sample is rolled back.
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
from customers.actions.lifecycle import purge_organisation  # noqa: E402
from customers.actions.organisations import create_organisation, move_organisation  # noqa: E402
from customers.management.scale import seed_scale  # noqa: E402
from customers.models import Organisation  # noqa: E402

SAMPLES = 20
TICK = 1 / os.sysconf("SC_CLK_TCK")


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


def backend_cpu() -> float:
    """CPU seconds the database backend of this connection has used so far (0 when it is
    not PostgreSQL on this machine)."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) * TICK  # utime, stime


def sample(write) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds here and in the database, and rows updated by ``write()``,
    run in a transaction that is rolled back."""
    counter = UpdatedRows()
    backend = backend_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    try:
        with connection.execute_wrapper(counter), transaction.atomic():
            write()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            backend = backend_cpu() - backend
            raise Rollback
    except Rollback:
        pass
    return elapsed, cpu, backend, counter.rows


def prepare(size: int, reuse: str | None) -> tuple[Organisation, float]:
    prefix = reuse or f"W{size}"
    root = Organisation.objects.filter(code=f"{prefix}P").first()
    seeding = 0.0
    if root is None and reuse:
        raise SystemExit(f"No tree with prefix {reuse} (root {reuse}P) to reuse.")
    if root is None:
        started = time.perf_counter()
        root = seed_scale(organisations=size, users=0, prefix=prefix)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE customers_organisation")
        seeding = time.perf_counter() - started
    return root, seeding


def measure(size: int, reuse: str | None) -> list[str]:
    root, seeding = prepare(size, reuse)
    size = Organisation.objects.filter(root.subtree.q()).count()
    resellers = Organisation.objects.filter(parent=root, is_reseller=True)
    first = resellers.order_by("tree_id").first()
    last = resellers.order_by("-tree_id").first()
    customer = first.get_children().filter(is_reseller=False).first()
    writes = {
        "create": lambda: create_organisation(actor=SYSTEM, parent=first, name="Bench new"),
        "move": lambda: move_organisation(actor=SYSTEM, organisation=customer, new_parent=last),
        "delete": lambda: purge_organisation(Organisation.objects.get(pk=customer.pk)),
    }
    lines = []
    for name, write in writes.items():
        samples = [sample(write) for _ in range(SAMPLES)]
        median = statistics.median(s[0] for s in samples) * 1000
        cpu = statistics.mean(s[1] for s in samples) * 1000
        backend = statistics.mean(s[2] for s in samples) * 1000
        rows = max(s[3] for s in samples)
        load = os.getloadavg()[0]
        lines.append(
            f"{size:>10} {seeding:>9.1f} {name:>7} {median:>10.1f} {cpu:>8.1f} {backend:>8.1f}"
            f" {rows:>10} {load:>6.1f}"
        )
        seeding = 0.0
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000", help="organisations per tree")
    parser.add_argument(
        "--prefix", help="reuse the tree seeded with this prefix (never seeded or migrated)"
    )
    args = parser.parse_args()
    if not args.prefix:
        call_command("migrate", verbosity=0)
    print(
        f"{'orgs':>10} {'seed s':>9} {'write':>7} {'median ms':>10} {'cpu ms':>8} {'db ms':>8}"
        f" {'rows upd':>10} {'load':>6}"
    )
    for size in (int(part.replace(",", "")) for part in args.sizes.split(",")):
        for line in measure(size, args.prefix):
            print(line, flush=True)


if __name__ == "__main__":
    main()
