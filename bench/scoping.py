"""How the scoping API behaves as the tree grows: queries stay flat, time stays near baseline.

Seeds trees of growing size into a benchmark database (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/canopy_bench``), then for a reseller admin in each tree:

- counts the queries of "resolve my visible organisations and list the first page";
- times it against a baseline in the same run: the same page fetched by a plain indexed
  subtree query that knows the answer's range in advance (the cheapest possible query).

Prints one line per size with the ratio scoped/baseline. Usage:

    python bench/scoping.py --sizes 1000,10000,100000 --users-per-org 10
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from core.actors import SYSTEM

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

from customers.actions.roles import grant_role  # noqa: E402
from customers.management.scale import seed_scale  # noqa: E402
from customers.models import Organisation, Role, User  # noqa: E402


def timed(function, repeat: int = 30) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def prepare(size: int, users_per_org: int) -> tuple[Organisation, Organisation, User]:
    prefix = f"B{size}"
    root = Organisation.objects.filter(code=f"{prefix}P").first()
    if root is None:
        root = seed_scale(organisations=size, users=size * users_per_org, prefix=prefix)
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
    return root, reseller, admin


def measure(size: int, users_per_org: int) -> str:
    root, reseller, admin = prepare(size, users_per_org)

    def scoped():
        fresh = User.objects.get(pk=admin.pk)  # a new request: nothing cached
        return list(Organisation.objects.restrict(fresh, "view").order_by("name")[:50])

    def baseline():
        User.objects.get(pk=admin.pk)
        return list(
            Organisation.objects.filter(
                tree_id=reseller.tree_id, lft__gte=reseller.lft, lft__lte=reseller.rght
            ).order_by("name")[:50]
        )

    assert [o.pk for o in scoped()] == [o.pk for o in baseline()]
    with CaptureQueriesContext(connection) as queries:
        scoped()
    scoped_time, baseline_time = timed(scoped), timed(baseline)
    users = User.objects.filter(organisation__tree_id=root.tree_id).count()
    # The user fetch is the "request"; what scoping adds is everything after it.
    return (
        f"{size:>14} {users:>10} {len(queries) - 1:>8} {scoped_time * 1000:>10.2f} "
        f"{baseline_time * 1000:>12.2f} {scoped_time / baseline_time:>6.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--users-per-org", type=int, default=10)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(
        f"{'organisations':>14} {'users':>10} {'queries':>8} {'scoped ms':>10} "
        f"{'baseline ms':>12} {'ratio':>6}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        print(measure(size, args.users_per_org), flush=True)


if __name__ == "__main__":
    main()
