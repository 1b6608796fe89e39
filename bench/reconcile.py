"""Reconcile of a large customer against one paged ldap3 search of the same accounts.

Builds a provisioned customer with N accounts (the OU tree by the provisioning job, the
accounts with raw ldap3 adds on one connection, all in AllUsers in one modify, the portal
users in bulk, anchored by GUID), then times, in turns (``--rounds``): the reconcile's
comparison (``check_organisation``: OUs, groups, policy, suffixes, every account page by
page against the portal, memberships, strays) and, as the baseline, one paged ldap3
search reading the same accounts with the same attributes, nothing else. Prints the
median of each, the ratio (target <= 2) and the reconcile's peak memory (tracemalloc),
which should not grow with N. Cleans up after itself.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/canopy_bench .venv/bin/python \\
        bench/reconcile.py -n 10000

DC settings come from DIRECTORY_* or ``scripts/samba-dc.sh env``. Without DATABASE_URL a
throw-away SQLite file is used.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ldap_raw import config_from_environment  # noqa: E402
from bench.provision_users import clean_up, configure  # noqa: E402
from core.actors import SYSTEM  # noqa: E402
from directory import connect, ensure_ou, ou_dn  # noqa: E402

DISABLED = 514
ATTRIBUTES = [
    "objectClass",
    "cn",
    "sAMAccountName",
    "userPrincipalName",
    "description",
    "userAccountControl",
    "groupType",
    "givenName",
    "sn",
    "displayName",
    "mail",
    "objectGUID",
]


def build(n: int, tag: str, config) -> dict:
    from ldap3 import MODIFY_REPLACE

    from core import jobs
    from customers.actions import lifecycle
    from customers.actions.organisations import create_organisation
    from customers.actions.verification import verify_by_hand
    from customers.models import User
    from directory import cn_dn, ops
    from provisioning.engine.connection import directory_config
    from provisioning.engine.runner import run_job
    from provisioning.job_plans.layout import Layout

    jobs.send_run_message = lambda job_id, countdown=None: None  # no broker here
    provider = create_organisation(
        actor=SYSTEM, parent=None, name="Bench provider", code=f"RP{tag}".upper()
    )
    domain = f"rbench{tag}.example"
    customer = create_organisation(
        actor=SYSTEM,
        parent=provider,
        name="Bench customer",
        code=f"RC{tag}".upper(),
        domains=[domain],
    )
    verify_by_hand(actor=SYSTEM, domain=customer.primary_domain)
    made = {"provider": provider, "customer": customer}
    job = lifecycle.provision_organisation(actor=SYSTEM, organisation=customer)
    if run_job(job.pk) != "succeeded":
        raise SystemExit("provisioning the bench customer failed")
    customer.refresh_from_db()
    layout = Layout(directory_config())  # the scratch tenants root configure() set
    users_ou = layout.users_ou(customer)
    conn = connect(config)
    started = time.perf_counter()
    try:
        dns = []
        for number in range(n):
            sam = f"r{tag}{number}"
            dn = cn_dn(users_ou, f"Bench {number}")
            ops.add(
                conn,
                dn,
                ["top", "person", "organizationalPerson", "user"],
                {
                    "sAMAccountName": sam,
                    "userPrincipalName": f"{sam}@{domain}",
                    "givenName": "Bench",
                    "sn": f"{number}",
                    "displayName": f"Bench {number}",
                    "userAccountControl": str(DISABLED),
                },
            )
            dns.append(dn)
        ops.modify(conn, layout.all_users_dn(customer), {"member": [(MODIFY_REPLACE, dns)]})
        guids = {
            entry["attributes"]["sAMAccountName"][0]: entry["guid"]
            for page in ops.search_pages(
                conn, users_ou, "(objectClass=user)", attributes=["sAMAccountName"]
            )
            for entry in page
        }
    finally:
        conn.unbind()
    User.objects.bulk_create(
        [
            User(
                organisation=customer,
                username=f"r{tag}{number}",
                upn=f"r{tag}{number}@{domain}",
                first_name="Bench",
                last_name=f"{number}",
                display_name=f"Bench {number}",
                is_active=False,
                directory_guid=guids[f"r{tag}{number}"],
                password="!",
            )
            for number in range(n)
        ],
        batch_size=2000,
    )
    print(f"built {n} accounts in {time.perf_counter() - started:.1f} s")
    made["users_ou"] = users_ou
    return made


def baseline(config, users_ou: str) -> int:
    """One paged ldap3 search of the accounts, nothing else; returns how many it read."""
    from ldap3 import LEVEL

    conn = connect(config)
    try:
        read = 0
        for item in conn.extend.standard.paged_search(
            users_ou,
            "(objectClass=user)",
            search_scope=LEVEL,
            attributes=ATTRIBUTES,
            paged_size=500,
            generator=True,
        ):
            if item["type"] == "searchResEntry":
                read += 1
        return read
    finally:
        conn.unbind()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="accounts (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="timed turns (default 3)")
    parser.add_argument(
        "--profile", action="store_true", help="print where one reconcile spends its time"
    )
    args = parser.parse_args()
    config = config_from_environment()
    config = replace(config, receive_timeout=max(config.receive_timeout, 600))
    tag = secrets.token_hex(3)
    tests_ou = ou_dn(config.base_dn, "Tests")
    scratch = ou_dn(tests_ou, f"bench-reconcile-{tag}")
    conn = connect(config)
    try:
        ensure_ou(conn, config.base_dn, "Tests")
        ensure_ou(conn, tests_ou, f"bench-reconcile-{tag}")
    finally:
        conn.unbind()
    configure(config, scratch)
    from provisioning.actions.reconcile import check_organisation

    made: dict = {}
    try:
        made = build(args.n, tag, config)
        customer = made["customer"]
        ours, theirs, found = [], [], None
        for _ in range(args.rounds):
            started = time.perf_counter()
            read = baseline(config, made["users_ou"])
            theirs.append(time.perf_counter() - started)
            conn = connect(config)
            started = time.perf_counter()
            report = check_organisation(customer, conn)
            ours.append(time.perf_counter() - started)
            conn.unbind()
            found = report
        if args.profile:
            import cProfile
            import pstats

            conn = connect(config)
            profiler = cProfile.Profile()
            profiler.runcall(check_organisation, customer, conn)
            conn.unbind()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        conn = connect(config)
        tracemalloc.start()
        check_organisation(customer, conn)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        conn.unbind()
    finally:
        clean_up(config, scratch, made)
    print(f"accounts:                 {args.n} (baseline read {read})")
    print(f"differences found:        {len(found.drift)} {found.error}")
    print(f"reconcile (median):       {statistics.median(ours):8.2f} s")
    print(f"paged ldap3 search:       {statistics.median(theirs):8.2f} s")
    print(f"reconcile / search:       {statistics.median(ours) / statistics.median(theirs):8.2f}")
    print(f"reconcile peak memory:    {peak / 1e6:8.1f} MB (tracemalloc)")


if __name__ == "__main__":
    main()
