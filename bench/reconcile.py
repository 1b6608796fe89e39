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
import statistics
import sys
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ldap_raw import config_from_environment  # noqa: E402
from bench.provision_users import configure  # noqa: E402
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


KEEP_ROOT = "bench-reconcile-keep"  # below OU=Tests; kept between runs unless --clean


def _codes(n: int) -> tuple[str, str, str]:
    """Fixed names for an N-account customer, so a later run finds and reuses it."""
    return "RKP", f"RK{n}", f"rk{n}.bench.example"


def seed_accounts(config, users_ou: str, n: int, domain: str, prefix: str) -> None:
    """Add the accounts ``prefix0`` ... missing from `users_ou` with raw ldap3 adds (two
    connections in turns), so an interrupted seed carries on where it stopped."""
    from concurrent.futures import ThreadPoolExecutor

    from directory import cn_dn, ops

    conn = connect(config)
    try:
        have = {
            str(entry["attributes"]["sAMAccountName"][0]).lower()
            for page in ops.search_pages(
                conn, users_ou, "(objectClass=user)", attributes=["sAMAccountName"]
            )
            for entry in page
        }
    finally:
        conn.unbind()
    missing = [number for number in range(n) if f"{prefix}{number}" not in have]
    if not missing:
        return
    print(f"seeding {len(missing)} accounts (of {n}) with raw ldap3 adds ...", flush=True)
    started = time.perf_counter()

    def add_some(numbers: list[int]) -> None:
        conn = connect(config)
        try:
            for done, number in enumerate(numbers, 1):
                sam = f"{prefix}{number}"
                ops.add(
                    conn,
                    cn_dn(users_ou, f"Bench {number}"),
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
                if done % 1000 == 0:
                    rate = done / (time.perf_counter() - started)
                    print(f"  {done} of {len(numbers)} on one connection, {rate:.0f}/s", flush=True)
        finally:
            conn.unbind()

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(add_some, [missing[0::2], missing[1::2]]))
    print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)


def build(n: int, config, *, fresh: bool) -> dict:
    """The portal side of an N-account customer, over a directory side kept between runs.

    The directory side (OU tree, N disabled accounts in AllUsers, password policy, UPN
    suffix) lives below ``OU=bench-reconcile-keep,OU=Tests`` and is made once (accounts by
    raw ldap3 adds, about 20 minutes for 10,000 on this DC); later runs only create the
    portal's organisations and users (in bulk, anchored by the accounts' GUIDs)."""
    from django.db import transaction

    from core import jobs
    from core.models import Job
    from customers.actions.lifecycle import job_finished
    from customers.actions.organisations import create_organisation
    from customers.actions.verification import verify_by_hand
    from customers.models import Organisation, Status, User
    from directory import NoSuchObjectError, delete_tree, ops, set_members
    from provisioning.engine.connection import directory_config
    from provisioning.engine.runner import run_job
    from provisioning.job_plans.layout import Layout

    jobs.send_run_message = lambda job_id, countdown=None: None  # no broker here
    provider_code, customer_code, domain = _codes(n)
    prefix = f"rk{n}u"
    leftovers = Organisation.objects.filter(code__in=[provider_code, customer_code])
    for organisation in leftovers.order_by("-level"):
        clean_portal(organisation)
    provider = create_organisation(
        actor=SYSTEM, parent=None, name="Bench provider", code=provider_code
    )
    customer = create_organisation(
        actor=SYSTEM, parent=provider, name="Bench customer", code=customer_code, domains=[domain]
    )
    verify_by_hand(actor=SYSTEM, domain=customer.primary_domain)
    made = {"provider": provider, "customer": customer}
    layout = Layout(directory_config())  # the kept tenants root configure() set
    org_dn = layout.organisation_dn(customer)
    users_ou = layout.users_ou(customer)
    conn = connect(config)
    try:
        if fresh:
            delete_tree(conn, org_dn)
        org_entry = ops.read(conn, org_dn)
        provider_entry = ops.read(conn, layout.organisation_dn(provider))
    finally:
        conn.unbind()
    if org_entry is None:
        job = lifecycle_provision(customer)
    else:
        # Provisioned in an earlier run: anchor the portal's rows, then check the structure.
        Organisation.objects.filter(pk=provider.pk).update(directory_guid=provider_entry["guid"])
        Organisation.objects.filter(pk=customer.pk).update(
            directory_guid=org_entry["guid"], status=Status.PROVISIONING
        )
        job = jobs.request_job(
            kind=jobs.JobKind.UPDATE_ORGANISATION, organisation=customer, actor=SYSTEM
        )
        with transaction.atomic():
            job_finished(
                customer.pk, expected={Status.PROVISIONING}, target=Status.ACTIVE, provisioned=True
            )
    if run_job(job.pk) != "succeeded":
        raise SystemExit(f"the bench customer's job failed: {Job.objects.get(pk=job.pk).error}")
    customer.refresh_from_db()
    seed_accounts(config, users_ou, n, domain, prefix)
    conn = connect(config)
    try:
        accounts = [
            (entry["dn"], entry["guid"], str(entry["attributes"]["sAMAccountName"][0]))
            for page in ops.search_pages(
                conn, users_ou, "(objectClass=user)", attributes=["sAMAccountName"]
            )
            for entry in page
        ]
        change = set_members(conn, layout.all_users_dn(customer), [dn for dn, _, _ in accounts])
        if change.changed:
            print(f"AllUsers: {len(change.added)} added, {len(change.removed)} removed")
    except NoSuchObjectError as exc:
        raise SystemExit(f"the kept tree is incomplete ({exc}); run again with --clean") from None
    finally:
        conn.unbind()
    User.objects.bulk_create(
        [
            User(
                organisation=customer,
                username=sam,
                upn=f"{sam}@{domain}",
                first_name="Bench",
                last_name=sam.removeprefix(prefix),
                display_name=f"Bench {sam.removeprefix(prefix)}",
                is_active=False,
                directory_guid=guid,
                password="!",
            )
            for _, guid, sam in accounts
        ],
        batch_size=2000,
    )
    del accounts
    made["users_ou"] = users_ou
    return made


def lifecycle_provision(customer):
    from customers.actions import lifecycle

    return lifecycle.provision_organisation(actor=SYSTEM, organisation=customer)


def clean_portal(organisation) -> None:
    """The portal's rows of a bench organisation (and below it); the directory stays."""
    from core.models import Job
    from core.scoping import within
    from customers.models import Organisation, User

    Job.objects.filter(within(organisation, "organisation__")).delete()
    User.objects.filter(within(organisation, "organisation__")).delete()
    Organisation.objects.filter(within(organisation)).order_by("-tree_id", "-level").delete()


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


def remove_kept(config, root: str, n: int) -> None:
    from directory import delete_tree, remove_password_policy, remove_upn_suffix
    from provisioning.job_plans import layout

    _, customer_code, domain = _codes(n)
    conn = connect(config)
    try:
        delete_tree(conn, root)
        remove_password_policy(conn, layout.policy_name(customer_code))
        remove_upn_suffix(conn, config.base_dn, domain)
    finally:
        conn.unbind()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="accounts (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="timed turns (default 3)")
    parser.add_argument(
        "--fresh", action="store_true", help="make the directory side again, even if kept"
    )
    parser.add_argument(
        "--clean", action="store_true", help="delete the kept directory side at the end"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print where one reconcile spends its time"
    )
    args = parser.parse_args()
    config = config_from_environment()
    config = replace(config, receive_timeout=max(config.receive_timeout, 600))
    tests_ou = ou_dn(config.base_dn, "Tests")
    root = ou_dn(tests_ou, KEEP_ROOT)
    conn = connect(config)
    try:
        ensure_ou(conn, config.base_dn, "Tests")
        ensure_ou(conn, tests_ou, KEEP_ROOT)
    finally:
        conn.unbind()
    configure(config, root)
    from provisioning.actions.reconcile import check_organisation

    made: dict = {}
    try:
        made = build(args.n, config, fresh=args.fresh)
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
        steps: list[tuple[int, int]] = []
        tracemalloc.start()
        check_organisation(customer, conn, progress=lambda done, total: steps.append((done, total)))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        conn.unbind()
    finally:
        if made.get("provider") is not None:
            clean_portal(made["provider"])
        if args.clean:
            remove_kept(config, root, args.n)
    print(f"accounts:                 {args.n} (baseline read {read})")
    print(f"differences found:        {len(found.drift)} {found.error}")
    for drift in found.drift[:5]:
        print(f"  {drift}")
    print(f"progress reports:         {len(steps)}, first {steps[:1]}, last {steps[-1:]}")
    print(f"reconcile (median):       {statistics.median(ours):8.2f} s")
    print(f"paged ldap3 search:       {statistics.median(theirs):8.2f} s")
    print(f"reconcile / search:       {statistics.median(ours) / statistics.median(theirs):8.2f}")
    print(f"reconcile peak memory:    {peak / 1e6:8.1f} MB (tracemalloc)")


if __name__ == "__main__":
    main()
