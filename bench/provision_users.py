"""Provisioning throughput: N users through the engine, against raw ldap3, same DC, same run.

The engine side creates a customer (provisioned by a job), N portal users, and one
``create_user`` job per user with a password, and runs the jobs in this process exactly
as a worker does (claim, plan, steps with their LDAP reads and writes, log, finish); only
the broker is left out, so the number is the engine's cost, not Redis's. The raw side is
`bench/ldap_raw.py`'s `RawUsers`: the four writes per user (add, password, enable, AllUsers
member) and nothing else. The two sides take turns in batches (`--batch`), so whatever else
the machine does at the time weighs on both alike. Both work in scratch OUs under
``OU=Tests`` and clean up after themselves.

    .venv/bin/python bench/provision_users.py -n 200
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/canopy_bench .venv/bin/python \\
        bench/provision_users.py -n 500

DC settings come from DIRECTORY_* or ``scripts/samba-dc.sh env``. Without DATABASE_URL a
throw-away SQLite file is used. Not a timed test: it prints rows per second and the ratio.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
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
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def engine_user_adds(n: int, tag: str, raw: RawUsers, batch: int) -> tuple[float, float, dict]:
    """Seconds for the engine's `n` jobs and for raw's `n` users, taking turns by `batch`."""
    from core import jobs
    from core.models import Job, JobState
    from customers.actions import lifecycle
    from customers.actions.organisations import create_organisation
    from customers.actions.users import create_user
    from customers.actions.verification import verify_by_hand
    from provisioning.engine.runner import run_job

    jobs.send_run_message = lambda job_id, countdown=None: None  # no broker here
    provider = create_organisation(
        actor=SYSTEM, parent=None, name="Bench provider", code=f"BP{tag}".upper()
    )
    customer = create_organisation(
        actor=SYSTEM,
        parent=provider,
        name="Bench customer",
        code=f"BC{tag}".upper(),
        domains=[f"bench{tag}.example"],
    )
    # The bench's domain is made up: verified by hand, as a provider admin may.
    verify_by_hand(actor=SYSTEM, domain=customer.primary_domain)
    job = lifecycle.provision_organisation(actor=SYSTEM, organisation=customer)
    if run_job(job.pk) != "succeeded":
        raise SystemExit(
            f"provisioning the bench customer failed: {Job.objects.get(pk=job.pk).error}"
        )
    customer.refresh_from_db()
    to_run = []
    for number in range(n):
        _, requested = create_user(
            actor=SYSTEM,
            organisation=customer,
            username=f"e{tag}{number}",
            upn=f"e{tag}{number}@bench{tag}.example",
            first_name="Engine",
            last_name=f"User {number}",
            password=PASSWORD,
        )
        to_run.extend(requested)
    seconds = raw_seconds = 0.0
    for first in range(0, n, batch):
        started = time.perf_counter()
        for job in to_run[first : first + batch]:
            run_job(job.pk)
        seconds += time.perf_counter() - started
        raw_seconds += raw.add(range(first, min(n, first + batch)))
    outcome = {
        state: Job.objects.filter(pk__in=[j.pk for j in to_run], state=state).count()
        for state in JobState.values
    }
    if outcome[JobState.SUCCEEDED] != len(to_run):
        raise SystemExit(f"not every engine job succeeded, so no figure: {outcome}")
    return seconds, raw_seconds, {"customer": customer, "provider": provider, "outcome": outcome}


def clean_up(config, scratch: str, made: dict) -> None:
    from directory import remove_password_policy, remove_upn_suffix
    from provisioning.job_plans import layout

    conn = connect(config)
    try:
        delete_tree(conn, scratch)
        customer = made.get("customer")
        if customer is not None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=500, help="users on each side (default 500)")
    parser.add_argument("--batch", type=int, default=25, help="users per turn (default 25)")
    args = parser.parse_args()
    config = config_from_environment()
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
    made: dict = {}
    try:
        with RawUsers(config, tests_ou) as raw:
            engine_seconds, raw_seconds, made = engine_user_adds(args.n, tag, raw, args.batch)
    finally:
        clean_up(config, scratch, made)
    engine_rate = args.n / engine_seconds
    raw_rate = args.n / raw_seconds
    print(f"users per side:   {args.n}")
    print(f"engine jobs:      {made['outcome']}")
    print(f"engine:           {engine_rate:8.1f} users/s ({engine_seconds:.2f} s)")
    print(f"raw ldap3:        {raw_rate:8.1f} users/s ({raw_seconds:.2f} s)")
    print(f"engine / raw:     {engine_rate / raw_rate:8.2f}")


if __name__ == "__main__":
    main()
