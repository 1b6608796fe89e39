"""The API's organisations list against the same page in the UI, as the tree grows.

Seeds (or reuses) trees of 1,000 and 100,000 organisations (``seed_scale``, prefix ``W<size>``
as ``bench/writes.py``, so a database either seeded is reused) in ``BENCH_DATABASE_URL``
(default ``postgres://postgres@127.0.0.1:5432/canopy_bench``). Then, for an administrator
of the tree's first reseller (``W<size>R1``), in one process, alternating so load from
others hits both:

- the API: ``GET /api/v1/organisations/?page_size=25`` with an API key (cursor page);
- the UI: ``GET /customers/`` signed in (the Customers list, 25 a page), the same people.

Prints per size: seeding time, queries of each, median milliseconds of each, and the rates
(requests a second) with the ratio API / UI (above 1.0: the API serves the page faster).
Both go through the whole Django stack (middleware, authentication, scoping, rendering) in
the test client, so neither pays a network. Usage:

    python bench/api.py --sizes 1000,100000
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/canopy_bench"
)
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.actors import SYSTEM  # noqa: E402
from customers.actions.api_keys import SCOPES  # noqa: E402
from customers.actions.roles import grant_role  # noqa: E402
from customers.management.scale import seed_scale  # noqa: E402
from customers.models import ApiKey, Organisation, Role, User  # noqa: E402
from customers.models.api_keys import digest  # noqa: E402

PAGE = 25  # the Customers list's page


def prepare(size: int) -> tuple[User, float]:
    prefix = f"W{size}"
    root = Organisation.objects.filter(code=f"{prefix}P").first()
    seeding = 0.0
    if root is None:
        started = time.perf_counter()
        root = seed_scale(organisations=size, users=0, prefix=prefix)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        seeding = time.perf_counter() - started
    reseller = Organisation.objects.get(code=f"{prefix}R1")
    username = f"{prefix.lower()}apir1"
    admin = User.objects.filter(username=username).first()
    if admin is None:
        admin = User.objects.create(
            username=username, upn=f"{username}@bench.example", organisation=reseller, password="!"
        )
        role = Role.objects.get(name="Reseller Admin")
        grant_role(actor=SYSTEM, user=admin, organisation=reseller, role=role)
    return admin, seeding


def key_for(admin: User) -> str:
    prefix, secret, plain = ApiKey.new_secret()
    ApiKey.objects.create(
        owner=admin,
        name="bench",
        organisation=admin.organisation,
        scopes=list(SCOPES),
        prefix=prefix,
        digest=digest(secret),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    return plain


def count_queries(function) -> int:
    """Statements one request runs (a wrapper: the request's start clears Django's log)."""
    seen = []

    def count(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        function()
    return len(seen)


def timed_pair(first, second, *, samples: int, seconds: float) -> tuple[float, float]:
    times: tuple[list[float], list[float]] = ([], [])
    deadline = time.perf_counter() + seconds
    while len(times[0]) < samples and (len(times[0]) < 5 or time.perf_counter() < deadline):
        for function, bucket in ((first, times[0]), (second, times[1])):
            started = time.perf_counter()
            function()
            bucket.append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


def measure(size: int, seconds: float) -> str:
    admin, seeding = prepare(size)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key_for(admin)}")
    ui = Client()
    ui.force_login(admin, backend="portal.auth.UsernameOrUpnBackend")
    api_url = f"/api/v1/organisations/?page_size={PAGE}"

    def api_page():
        response = api.get(api_url)
        assert response.status_code == 200, (response.status_code, response.content[:300])
        return response

    def ui_page():
        response = ui.get("/customers/")
        assert response.status_code == 200, (response.status_code, response.get("Location"))
        return response

    first = api_page().json()
    assert len(first["results"]) == PAGE, first
    ui_page()
    api_queries, ui_queries = count_queries(api_page), count_queries(ui_page)
    api_time, ui_time = timed_pair(api_page, ui_page, samples=100, seconds=seconds)
    return (
        f"{size:>14} {seeding:>9.1f} {api_queries:>8} {ui_queries:>7} "
        f"{api_time * 1000:>9.1f} {ui_time * 1000:>8.1f} {1 / api_time:>9.1f} "
        f"{1 / ui_time:>8.1f} {ui_time / api_time:>6.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000", help="organisations per tree")
    parser.add_argument("--seconds", type=float, default=15.0, help="time budget per size")
    args = parser.parse_args()
    setup_test_environment()  # the test client's hosts and no CSRF checks
    settings.ALLOWED_HOSTS = ["*"]
    # No collectstatic for a benchmark: serve static names unhashed, as the tests do.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    print(
        f"{'organisations':>14} {'seed s':>9} {'api q':>8} {'ui q':>7} {'api ms':>9} "
        f"{'ui ms':>8} {'api r/s':>9} {'ui r/s':>8} {'ratio':>6}"
    )
    for size in [int(s) for s in args.sizes.split(",")]:
        print(measure(size, args.seconds), flush=True)
    print("ratio = API rate / UI rate, the same first page (above 1.0: the API is faster)")


if __name__ == "__main__":
    main()
