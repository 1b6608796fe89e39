"""Provisioning throughput: users through the engine, against raw ldap3, same DC, same run.

Two comparisons, each over N users a side, the sides taking turns so that whatever else
the machine does weighs on both alike:

- customers with their users (`--batch` users each, default 100): the engine side makes
  a draft customer with its users in the portal (not timed), then times the one
  ``provision_organisation`` job that builds its OU tree, groups, password policy and UPN
  suffix, every account (add, password, enable) and the group memberships (one modify per
  group). The raw side (`bench/ldap_raw.py`'s `RawUsers.add_batch`) makes an OU and a
  group, the same three writes per account, and one modify with all the members.
- one ``create_user`` job per user (with a password) in one provisioned customer, turns of
  `--jobs-batch`; raw: the same three writes and one AllUsers modify per user (`add`).

The jobs run in this process exactly as a worker runs them (claim, plan, steps with their
LDAP reads and writes, log, finish); only the broker is left out, so the numbers are the
engine's cost, not Redis's. Both sides work in scratch OUs under ``OU=Tests`` and clean up
after themselves.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/canopy_bench .venv/bin/python \\
        bench/provision_users.py -n 500

DC settings come from DIRECTORY_* or ``scripts/samba-dc.sh env``. Without DATABASE_URL a
throw-away SQLite file is used. Not a timed test: it prints users per second and ratios.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ldap_raw import RawUsers, config_from_environment  # noqa: E402
from core.actors import SYSTEM  # noqa: E402
from directory import connect, delete_tree, ensure_ou, ou_dn  # noqa: E402

PASSWORD = "Bench-provision-Pw-7!"


def configure(config, tenants_root: str) -> None:
    """Point Django's settings at the DC and a scratch tenants root, before setup."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DEBUG", "false")
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / '.state' / 'bench-provision.sqlite3'}"
    os.environ.update(
        DIRECTORY_URL=config.url,
        DIRECTORY_BIND_USER=config.bind_user,
        DIRECTORY_PASSWORD=config.password,
        DIRECTORY_CA_FILE=config.ca_file or "",
        DIRECTORY_BASE_DN=config.base_dn,
        DIRECTORY_TENANTS_ROOT=tenants_root,
    )
    os.environ.pop("DIRECTORY_PASSWORD_FILE", None)
    # A busy shared DC answers slowly at times; a bench job should wait, not retry.
    os.environ.setdefault("DIRECTORY_RECEIVE_TIMEOUT", "120")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_provider(tag: str):
    from core import jobs
    from customers.actions.organisations import create_organisation

    jobs.send_run_message = lambda job_id, countdown=None: None  # no broker here
    return create_organisation(
        actor=SYSTEM, parent=None, name="Bench provider", code=f"BP{tag}".upper()
    )


def bench_customer(provider, code: str, domain: str, users: range, prefix: str):
    """A draft customer with a user per number in `users` (no password: no job yet)."""
    from customers.actions.organisations import create_organisation
    from customers.actions.users import create_user
    from customers.actions.verification import verify_by_hand

    customer = create_organisation(
        actor=SYSTEM, parent=provider, name=f"Bench {code}", code=code, domains=[domain]
    )
    # The bench's domains are made up: verified by hand, as a provider admin may.
    verify_by_hand(actor=SYSTEM, domain=customer.primary_domain)
    for number in users:
        create_user(
            actor=SYSTEM,
            organisation=customer,
            username=f"{prefix}{number}",
            upn=f"{prefix}{number}@{domain}",
            first_name="Engine",
            last_name=f"User {number}",
        )
    return customer


def run_or_stop(job_id: int, what: str) -> None:
    from core.models import Job
    from provisioning.engine.runner import run_job

    if run_job(job_id) != "succeeded":
        raise SystemExit(f"{what} failed, so no figure: {Job.objects.get(pk=job_id).error}")


def customers_with_users(
    n: int, tag: str, raw: RawUsers, batch: int, made: dict
) -> tuple[float, float]:
    """Seconds for provisioning customers of `batch` users each (one job per customer, its
    accounts and memberships with it), and for raw's same writes, taking turns."""
    from customers.actions import lifecycle

    seconds = raw_seconds = 0.0
    for first in range(0, n, batch):
        numbers = range(first, min(n, first + batch))
        code = f"BC{tag}{first}".upper()
        customer = bench_customer(
            made["provider"], code, f"b{tag}{first}.example", numbers, f"c{tag}"
        )
        made["customers"].append(customer)
        job = lifecycle.provision_organisation(actor=SYSTEM, organisation=customer)
        started = time.perf_counter()
        run_or_stop(job.pk, f"provisioning {code}")
        seconds += time.perf_counter() - started
        raw_seconds += raw.add_batch(numbers)
    return seconds, raw_seconds


def user_jobs(n: int, tag: str, raw: RawUsers, batch: int, made: dict) -> tuple[float, float]:
    """Seconds for `n` ``create_user`` jobs (one account each, with a password) in one
    provisioned customer, and for raw's same writes one user at a time, taking turns."""
    from customers.actions import lifecycle
    from customers.actions.users import create_user

    domain = f"bench{tag}.example"
    customer = bench_customer(made["provider"], f"BU{tag}".upper(), domain, range(0), "")
    made["customers"].append(customer)
    job = lifecycle.provision_organisation(actor=SYSTEM, organisation=customer)
    run_or_stop(job.pk, "provisioning the bench customer")
    customer.refresh_from_db()
    to_run = []
    for number in range(n):
        _, requested = create_user(
            actor=SYSTEM,
            organisation=customer,
            username=f"e{tag}{number}",
            upn=f"e{tag}{number}@{domain}",
            first_name="Engine",
            last_name=f"User {number}",
            password=PASSWORD,
        )
        to_run.extend(requested)
    seconds = raw_seconds = 0.0
    for first in range(0, n, batch):
        started = time.perf_counter()
        for job in to_run[first : first + batch]:
            run_or_stop(job.pk, f"job {job.pk}")
        seconds += time.perf_counter() - started
        raw_seconds += raw.add(range(first, min(n, first + batch)))
    return seconds, raw_seconds


def clean_up(config, scratch: str, made: dict) -> None:
    from directory import remove_password_policy, remove_upn_suffix
    from provisioning.job_plans import layout

    conn = connect(config)
    try:
        delete_tree(conn, scratch)
        for customer in [*made.get("customers", []), made.get("customer")]:
            if customer is None:
                continue
            remove_password_policy(conn, layout.policy_name(customer.code))
            for domain in customer.domains.all():
                remove_upn_suffix(conn, config.base_dn, domain.name)
    finally:
        conn.unbind()
    provider = made.get("provider")
    if provider is not None:
        from core.models import Job
        from core.scoping import within
        from customers.models import Organisation, User

        provider.refresh_from_db()
        Job.objects.filter(within(provider, "organisation__")).delete()
        User.objects.filter(within(provider, "organisation__")).delete()
        Organisation.objects.filter(within(provider)).order_by("-tree_id", "-level").delete()


def report(what: str, n: int, seconds: float, raw_seconds: float) -> None:
    rate, raw_rate = n / seconds, n / raw_seconds
    print(what, flush=True)
    print(f"  engine:         {rate:8.1f} users/s ({seconds:.2f} s)")
    print(f"  raw ldap3:      {raw_rate:8.1f} users/s ({raw_seconds:.2f} s)")
    print(f"  engine / raw:   {rate / raw_rate:8.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=500, help="users on each side (default 500)")
    parser.add_argument(
        "--batch", type=int, default=100, help="users per customer and per turn (default 100)"
    )
    parser.add_argument(
        "--jobs-batch", type=int, default=25, help="create_user jobs per turn (default 25)"
    )
    parser.add_argument(
        "--skip-user-jobs", action="store_true", help="only the customers with their users"
    )
    parser.add_argument("--skip-customers", action="store_true", help="only the create_user jobs")
    args = parser.parse_args()
    # Deleting the scratch trees of 500 accounts takes a while on a busy DC.
    config = replace(config_from_environment(), receive_timeout=600)
    tag = secrets.token_hex(3)
    tests_ou = ou_dn(config.base_dn, "Tests")
    scratch = ou_dn(tests_ou, f"bench-engine-{tag}")
    conn = connect(config)
    try:
        ensure_ou(conn, config.base_dn, "Tests")
        ensure_ou(conn, tests_ou, f"bench-engine-{tag}")
    finally:
        conn.unbind()
    configure(config, scratch)
    made: dict = {"customers": []}
    try:
        made["provider"] = bench_provider(tag)
        print(f"users per side:   {args.n}")
        with RawUsers(config, tests_ou) as raw:
            if not args.skip_customers:
                report(
                    f"customers of {args.batch} users, each provisioned by one job (raw: the "
                    "same writes, members in one modify)",
                    args.n,
                    *customers_with_users(args.n, tag, raw, args.batch, made),
                )
        if not args.skip_user_jobs:
            with RawUsers(config, tests_ou) as raw:
                report(
                    "one create_user job per user (raw: the same writes, a modify per member)",
                    args.n,
                    *user_jobs(args.n, tag, raw, args.jobs_batch, made),
                )
    finally:
        clean_up(config, scratch, made)


if __name__ == "__main__":
    main()
