"""Bulk import throughput: a 10,000-row CSV, checked, imported and provisioned, against raw
ldap3 user adds on the same DC in the same run.

Three timed phases, each printed in rows per second:

- check: read and validate every row (``check_upload``);
- import: create the users, their roles and services in the portal (``run_import``);
- directory: run the import job in this process as a worker does (accounts with their
  passwords, portal hashes, AllUsers and the VPN group), the broker left out.

Then `bench/ldap_raw.py`'s `raw_user_adds` (three writes per user and nothing else) gives
the ceiling; the directory phase and the whole import are printed as ratios to it. Both
sides work in scratch OUs under ``OU=Tests`` and clean up after themselves.

    .venv/bin/python bench/bulk_import.py                 # 10,000 rows, raw side 2,000 adds
    .venv/bin/python bench/bulk_import.py -n 2000 --raw 500
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/canopy_bench .venv/bin/python \\
        bench/bulk_import.py

DC settings come from DIRECTORY_* or ``scripts/samba-dc.sh env``. Without DATABASE_URL a
throw-away SQLite file is used. Not a timed test.
"""

from __future__ import annotations

import argparse
import csv
import io
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ldap_raw import config_from_environment, raw_user_adds  # noqa: E402
from bench.provision_users import clean_up, configure  # noqa: E402
from core.actors import SYSTEM  # noqa: E402
from directory import connect, ensure_ou, ou_dn  # noqa: E402

PASSWORD = "Quartz-bench-Pw-Xy!"


def csv_rows(n: int, tag: str, domain: str, service: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["UPN", "First Name", "Last Name", "Password", "Services"])
    for number in range(n):
        writer.writerow([f"b{tag}{number}@{domain}", "Ann", f"Lee {number}", PASSWORD, service])
    return out.getvalue().encode()


def customer_with_vpn(tag: str) -> tuple:
    from core import jobs
    from core.models import Job
    from customers.actions import lifecycle
    from customers.actions.catalogue import provision_service
    from customers.actions.organisations import create_organisation
    from customers.actions.verification import verify_by_hand
    from customers.models import Plan, Service
    from provisioning.engine.runner import run_job

    jobs.send_run_message = lambda job_id, countdown=None: None  # no broker here
    provider = create_organisation(
        actor=SYSTEM, parent=None, name="Bulk bench provider", code=f"BBP{tag}".upper()
    )
    customer = create_organisation(
        actor=SYSTEM,
        parent=provider,
        name="Bulk bench customer",
        code=f"BBC{tag}".upper(),
        domains=[f"bulk{tag}.example"],
    )
    # The bench's domain is made up: verified by hand, as a provider admin may.
    verify_by_hand(actor=SYSTEM, domain=customer.primary_domain)
    job = lifecycle.provision_organisation(actor=SYSTEM, organisation=customer)
    if run_job(job.pk) != "succeeded":
        raise SystemExit(f"provisioning the customer failed: {Job.objects.get(pk=job.pk).error}")
    customer.refresh_from_db()
    service = Service.objects.create(
        code=f"V{tag}".upper(), name=f"VPN {tag}", service_type="security_group"
    )
    plan = Plan.objects.create(service=service, name="Standard")
    _, job = provision_service(actor=SYSTEM, organisation=customer, plan=plan)
    if run_job(job.pk) != "succeeded":
        raise SystemExit(f"provisioning VPN failed: {Job.objects.get(pk=job.pk).error}")
    return provider, customer, service


def bulk_import(n: int, tag: str, directory: bool = True) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.models import Job
    from customers.actions.imports import check_upload, run_import
    from provisioning.engine.runner import run_job

    provider, customer, service = customer_with_vpn(tag)
    made = {"provider": provider, "customer": customer, "service": service}
    data = csv_rows(n, tag, customer.primary_domain.name, service.code)
    upload = SimpleUploadedFile("bench.csv", data, content_type="text/csv")

    started = time.perf_counter()
    checked = check_upload(actor=SYSTEM, organisation=customer, upload=upload, filename="b.csv")
    made["check"] = time.perf_counter() - started
    if checked.errors:
        raise SystemExit(f"the file has errors: {checked.errors[:5]}")

    started = time.perf_counter()
    job = run_import(actor=SYSTEM, user_import=checked)
    made["import"] = time.perf_counter() - started

    if not directory:
        made["directory"], made["steps"] = 0.0, 0
        return made
    started = time.perf_counter()
    outcome = run_job(job.pk)
    made["directory"] = time.perf_counter() - started
    job = Job.objects.get(pk=job.pk)
    if outcome != "succeeded":
        raise SystemExit(f"the import job ended {outcome}: {job.error}")
    made["steps"] = job.steps_done
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10_000, help="rows (default 10,000)")
    parser.add_argument(
        "--raw", type=int, default=2_000, help="raw ldap3 adds for the baseline (default 2,000)"
    )
    parser.add_argument(
        "--portal-only",
        action="store_true",
        help="time the check and the portal import only (no directory job, no raw side)",
    )
    args = parser.parse_args()
    config = config_from_environment()
    tag = secrets.token_hex(3)
    tests_ou = ou_dn(config.base_dn, "Tests")
    scratch = ou_dn(tests_ou, f"bench-bulk-{tag}")
    conn = connect(config)
    try:
        ensure_ou(conn, config.base_dn, "Tests")
        ensure_ou(conn, tests_ou, f"bench-bulk-{tag}")
    finally:
        conn.unbind()
    configure(config, scratch)
    made: dict = {}
    try:
        made = bulk_import(args.n, tag, directory=not args.portal_only)
        raw_seconds = 0.0 if args.portal_only else raw_user_adds(config, tests_ou, args.raw)
    finally:
        clean_up(config, scratch, made)
        if made.get("service") is not None:
            made["service"].delete()
    n = args.n
    print(f"rows:               {n}")
    print(f"check:              {n / made['check']:9.1f} rows/s ({made['check']:.2f} s)")
    print(f"import (portal):    {n / made['import']:9.1f} rows/s ({made['import']:.2f} s)")
    if args.portal_only:
        return
    raw_rate = args.raw / raw_seconds
    total = made["check"] + made["import"] + made["directory"]
    print(
        f"directory (job):    {n / made['directory']:9.1f} rows/s ({made['directory']:.2f} s, "
        f"{made['steps']} steps)"
    )
    print(f"whole import:       {n / total:9.1f} rows/s ({total:.2f} s)")
    print(f"raw ldap3 adds:     {raw_rate:9.1f} users/s ({args.raw} in {raw_seconds:.2f} s)")
    print(f"directory / raw:    {n / made['directory'] / raw_rate:9.2f}")
    print(f"whole import / raw: {n / total / raw_rate:9.2f}")


if __name__ == "__main__":
    main()
