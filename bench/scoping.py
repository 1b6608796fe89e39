"""How the scoping API behaves as the tree grows: queries stay flat, time stays near baseline.

Seeds trees of growing size into a benchmark database (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/canopy_bench``), then for a reseller admin in each tree:

- counts the queries of "resolve my visible organisations and list the first page";
- times it against a baseline in the same run: the same page fetched by primary key, with the
  ids of the reseller's subtree known in advance (one query, on an index every table has).

The baseline must not depend on the indexes under test: an earlier baseline filtered on the
subtree range too, so while the (tree_id, lft) index was missing both sides scanned every
organisation and the ratio looked fine. Both plans are EXPLAINed and printed ("seq" when a
sequential scan reads customers_organisation); from 10,000 organisations on, the run stops if
the baseline's is one.

Scoped and baseline samples alternate (so load from others on the machine hits both), for at
most ``--seconds`` per size. Prints one line per size: seeding time (0 when the tree was
already there), median times and the ratio scoped / baseline (1.0 = as cheap as the
baseline; higher is slower). Usage:

    python bench/scoping.py --sizes 1000,100000 --users-per-org 10
"""

import argparse
import json
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
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from core.actors import SYSTEM  # noqa: E402
from core.scoping import within  # noqa: E402
from customers.actions.roles import grant_role  # noqa: E402
from customers.management.scale import seed_scale  # noqa: E402
from customers.models import Organisation, Role, User  # noqa: E402


def timed_pair(first, second, *, samples: int = 200, seconds: float = 10.0) -> tuple[float, float]:
    """Median times of ``first`` and ``second``, alternating, within a time budget."""
    times: tuple[list[float], list[float]] = ([], [])
    deadline = time.perf_counter() + seconds
    while len(times[0]) < samples and (len(times[0]) < 5 or time.perf_counter() < deadline):
        for function, bucket in ((first, times[0]), (second, times[1])):
            started = time.perf_counter()
            function()
            bucket.append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


def organisation_scans(sql: str) -> str:
    """How the plan reads customers_organisation: "index", or "seq" for a sequential scan."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (document,) = cursor.fetchone()
    if isinstance(document, str):
        document = json.loads(document)
    nodes, stack = [], [document[0]["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    kinds = {
        node["Node Type"] for node in nodes if node.get("Relation Name") == "customers_organisation"
    }
    return "seq" if "Seq Scan" in kinds else "index"


def prepare(size: int, users_per_org: int) -> tuple[Organisation, Organisation, User, float]:
    prefix = f"B{size}"
    root = Organisation.objects.filter(code=f"{prefix}P").first()
    seeding = 0.0
    if root is None:
        started = time.perf_counter()
        root = seed_scale(organisations=size, users=size * users_per_org, prefix=prefix)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        seeding = time.perf_counter() - started
    reseller = Organisation.objects.get(code=f"{prefix}R1")
    admin = User.objects.filter(username=f"{prefix.lower()}admin").first()
    if admin is None:
        admin = User.objects.create(
            username=f"{prefix.lower()}admin", organisation=reseller, password="!"
        )
        grant_role(
            actor=SYSTEM,
            user=admin,
            organisation=reseller,
            role=Role.objects.get(name="Reseller Admin"),
        )
    return root, reseller, admin, seeding


def measure(size: int, users_per_org: int, seconds: float) -> str:
    root, reseller, admin, seeding = prepare(size, users_per_org)
    # Known in advance, outside the timing: the ids of the reseller's subtree.
    subtree_ids = list(Organisation.objects.filter(within(reseller)).values_list("pk", flat=True))

    def scoped():
        fresh = User.objects.get(pk=admin.pk)  # a new request: nothing cached
        return list(Organisation.objects.restrict(fresh, "view").order_by("name")[:50])

    def baseline():
        User.objects.get(pk=admin.pk)
        return list(Organisation.objects.filter(pk__in=subtree_ids).order_by("name")[:50])

    assert [o.pk for o in scoped()] == [o.pk for o in baseline()]
    with CaptureQueriesContext(connection) as queries:
        scoped()
    with CaptureQueriesContext(connection) as baseline_queries:
        baseline()
    # The user fetch is the "request"; what scoping adds is everything after it.
    scoped_plan = "/".join(organisation_scans(q["sql"]) for q in queries.captured_queries[1:])
    baseline_plan = organisation_scans(baseline_queries.captured_queries[-1]["sql"])
    # On a small table a sequential scan is the planner's cheapest choice for both sides;
    # on a large one a baseline that scans would hide what the comparison is for.
    if baseline_plan != "index" and size >= 10_000:
        raise SystemExit(f"The baseline scans every organisation at {size}: not a fair baseline.")
    scoped_time, baseline_time = timed_pair(scoped, baseline, seconds=seconds)
    users = User.objects.filter(within(root, "organisation__")).count()
    return (
        f"{size:>14} {users:>10} {seeding:>10.1f} {len(queries) - 1:>8} {scoped_plan:>12} "
        f"{baseline_plan:>14} "
        f"{scoped_time * 1000:>10.2f} {baseline_time * 1000:>12.2f} "
        f"{scoped_time / baseline_time:>6.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--users-per-org", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0, help="timing budget per size")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(
        f"{'organisations':>14} {'users':>10} {'seeding s':>10} {'queries':>8} "
        f"{'scoped plan':>12} {'baseline plan':>14} {'scoped ms':>10} {'baseline ms':>12} "
        f"{'ratio':>6}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        print(measure(size, args.users_per_org, args.seconds), flush=True)


if __name__ == "__main__":
    main()
