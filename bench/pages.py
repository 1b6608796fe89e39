"""Pages at 1,000 and 100,000 organisations, as a ratio to a bare Django view (issue 15).

For each size, a database holding a tree of that size (``seed_scale`` with 10 users per
organisation; reused when it is there, found by its prefix) is served by gunicorn with 2 sync
workers; 4 client threads request each page for a bounded time, and the same clients request
a bare Django view (the portal's middleware and the same session, four indexed queries, no
template: ``bench/pagesite``, a benchmark-only settings module) right before and after it.
Printed: requests per second of each page as a ratio to that baseline, at each size, and the
100,000 ratio as a share of the 1,000 one. Targets: every page >= 0.25 at 100,000, and no
page's ratio at 100,000 below 0.8 of its ratio at 1,000.

    python bench/pages.py --sizes 1000,100000 \\
        --database 1000=canopy_pages_1000 --database 100000=canopy_scale_bench

Databases are on the server of ``BENCH_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/canopy_bench``); a size without ``--database`` uses
``canopy_pages_<size>``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BARE = "/bench/bare/"


def database_url(name: str) -> str:
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/canopy_bench")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


# ---- Preparing one database (runs in a child process: one Django set-up per database) ----


def prepare(size: int, prefix: str, users_per_org: int) -> dict:
    """Migrate, seed if the tree is missing, make the benchmark's people and their sessions,
    and name the pages to measure."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.pagesite.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from core.actors import SYSTEM
    from customers.actions.roles import grant_role
    from customers.management.scale import analyze, mid_size_reseller, seed_scale
    from customers.models import Organisation, Role, User

    call_command("migrate", verbosity=0)
    root = Organisation.objects.filter(code=f"{prefix}P").first()
    seeded = 0.0
    if root is None:
        started = time.perf_counter()
        root = seed_scale(organisations=size, users=size * users_per_org, prefix=prefix)
        analyze()
        seeded = time.perf_counter() - started
    reseller = mid_size_reseller(root)
    customer = (
        Organisation.objects.filter(parent=reseller, is_reseller=False).order_by("pk").first()
    )
    sessions = {}
    for role, organisation in (("provider", root), ("reseller", reseller), ("super", None)):
        username = f"bp-{prefix.lower()}-{role}"[:20]
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(
                username=username,
                upn=f"{username}@bench.example",
                first_name="Bench",
                last_name=role,
                organisation=organisation or root,
                is_admin=True,
                is_superuser=organisation is None,
                is_staff=organisation is None,
            )
            if organisation is not None:
                grant_role(
                    actor=SYSTEM,
                    user=user,
                    organisation=organisation,
                    role=Role.objects.get(
                        name="Provider Admin" if role == "provider" else "Reseller Admin",
                        organisation__isnull=True,
                    ),
                )
        client = Client()
        client.force_login(user)
        sessions[role] = client.cookies["sessionid"].value
    term = customer.code.lower()
    pages = [
        ("bare view in the portal's layout, reseller", "reseller", "/bench/layout/"),
        ("Customers list, reseller", "reseller", "/customers/"),
        ("Customers search ?q=, reseller", "reseller", f"/customers/?q={term}"),
        ("Customers search ?q=, provider", "provider", f"/customers/?q={term}"),
        ("Customers list, provider", "provider", "/customers/"),
        ("Customers sorted by name, provider", "provider", "/customers/?sort=name"),
        ("Customers sorted by -created, provider", "provider", "/customers/?sort=-created"),
        ("customer detail, reseller", "reseller", f"/customers/{customer.pk}/"),
        ("customer users, reseller", "reseller", f"/customers/{customer.pk}/users/"),
        ("Users list, reseller", "reseller", "/users/"),
        ("dashboard, provider", "provider", "/"),
        ("hierarchy tree, provider", "provider", "/customers/tree/"),
        ("Django admin Organisation changelist", "super", "/admin/customers/organisation/"),
    ]
    return {
        "organisations": Organisation.objects.filter(tree_id__gte=root.tree_id)
        .filter(tree_id__lt=root.tree_id + 1_000_000)
        .count(),
        "seeded": seeded,
        "sessions": sessions,
        "pages": pages,
    }


# ---- Serving and loading -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with 2 sync workers on the benchmark settings, for one database."""

    def __init__(self, url: str, workers: int, log: Path) -> None:
        self.port = free_port()
        env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="bench.pagesite.settings")
        # No collectstatic for a benchmark: static URLs without the manifest's hashes.
        env["STATIC_MANIFEST"] = "false"
        env.setdefault("SECRET_KEY", "benchmark-only-" + "x" * 50)
        env["PYTHONPATH"] = str(ROOT)
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit(f"gunicorn did not start; see {log}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def fetch(port: int, path: str, session: str) -> tuple[int, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path, headers={"Cookie": f"sessionid={session}"})
        response = connection.getresponse()
        return response.status, len(response.read())
    finally:
        connection.close()


def load(port: int, path: str, session: str, clients: int, seconds: float, cap: int) -> float:
    """Requests per second of ``clients`` threads asking for ``path`` for ``seconds`` (or
    until ``cap`` requests are done, whichever comes first)."""
    done = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    errors: list[str] = []

    def client() -> None:
        nonlocal done
        while time.monotonic() < stop_at:
            with lock:
                if done >= cap:
                    return
            status, _size = fetch(port, path, session)
            if status != 200:
                errors.append(f"{path}: HTTP {status}")
                return
            with lock:
                done += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(errors[0])
    return done / (time.monotonic() - started)


def ensure_database(name: str) -> None:
    import psycopg2

    parts = urlsplit(database_url("postgres"))
    connection = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, dbname="postgres"
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def measure_size(size: int, name: str, args) -> tuple[dict, dict[str, float]]:
    ensure_database(name)
    prepared = subprocess.run(
        [
            *(sys.executable, __file__, "--prepare", str(size), "--prefix", args.prefix),
            *("--users-per-org", str(args.users_per_org)),
        ],
        env=dict(os.environ, DATABASE_URL=database_url(name)),
        capture_output=True,
        text=True,
        check=False,
    )
    if prepared.returncode != 0:
        raise SystemExit(prepared.stderr)
    info = json.loads(prepared.stdout.strip().splitlines()[-1])
    server = Server(database_url(name), args.workers, Path(f"/tmp/bench-pages-{size}.log"))
    ratios: dict[str, float] = {}
    try:
        bare_session = info["sessions"]["reseller"]
        for label, role, path in info["pages"]:
            if args.only and not any(part.lower() in label.lower() for part in args.only):
                continue
            session = info["sessions"][role]
            status, size_bytes = fetch(server.port, path, session)  # warm, and check
            if status != 200:
                raise SystemExit(f"{label}: {path} answered HTTP {status}")
            fetch(server.port, BARE, bare_session)
            page_rate = bare_rate = 0.0
            for _ in range(args.rounds):
                bare_rate += load(
                    server.port, BARE, bare_session, args.clients, args.seconds, args.cap
                )
                page_rate += load(server.port, path, session, args.clients, args.seconds, args.cap)
            ratios[label] = page_rate / bare_rate
            print(
                f"  {size:>7,} {label:<42} {page_rate / args.rounds:>7.1f}/s "
                f"bare {bare_rate / args.rounds:>6.1f}/s  {ratios[label]:.3f}  "
                f"{size_bytes / 1024:.0f} KB",
                flush=True,
            )
    finally:
        server.stop()
    return info, ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000", help="organisations per tree")
    parser.add_argument(
        "--database",
        action="append",
        default=[],
        metavar="SIZE=NAME",
        help="the database that holds (or will hold) the tree of SIZE",
    )
    parser.add_argument("--prefix", default="S", help="the seed's code prefix (reused if found)")
    parser.add_argument("--users-per-org", type=int, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3.0, help="per page and per round")
    parser.add_argument("--rounds", type=int, default=2, help="bare/page pairs per page")
    parser.add_argument("--cap", type=int, default=2000, help="most requests per round")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="WORDS",
        help="measure only the pages whose label contains WORDS (repeatable; for development)",
    )
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        print(json.dumps(prepare(args.prepare, args.prefix, args.users_per_org)))
        return
    names = dict(part.split("=", 1) for part in args.database)
    sizes = [int(part) for part in args.sizes.split(",")]
    results = {}
    for size in sizes:
        name = names.get(str(size), f"canopy_pages_{size}")
        print(f"{size:,} organisations in {name}:", flush=True)
        info, ratios = measure_size(size, name, args)
        print(f"  ({info['organisations']:,} in the tree; seeded in {info['seeded']:.0f} s)")
        results[size] = ratios
    print()
    small, large = sizes[0], sizes[-1]
    print(f"{'page':<44} {small:>9,} {large:>9,} {'kept':>6}  verdict")
    failed = 0
    for label in results[large]:
        if label not in results[small]:
            continue
        low, high = results[small][label], results[large][label]
        kept = high / low
        ok = high >= 0.25 and kept >= 0.8
        failed += not ok
        print(
            f"{label:<44} {low:>9.3f} {high:>9.3f} {kept:>6.2f}  "
            f"{'ok' if ok else 'MISSES (>= 0.25 and >= 0.8 kept)'}"
        )
    print(f"\n{failed} page(s) miss a target.")


if __name__ == "__main__":
    main()
