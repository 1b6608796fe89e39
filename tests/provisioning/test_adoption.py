"""Adopting a tenant another portal left in AD: an OU per customer with its users and
groups, built in the DC by the test with one connection. The preview job reads it in pages
and writes nothing; adopting creates the portal's records anchored by objectGUID; a reconcile
then finds no difference."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from ldap3 import MODIFY_REPLACE, SUBTREE

from core.actors import SYSTEM
from core.models import DriftReport, Job, JobState
from customers.models import CustomerService, Plan, Service, Status, User
from directory import (
    add_upn_suffix,
    apply_password_policy,
    connect,
    default_naming_context,
    delete_tree,
    ensure_group,
    ensure_ou,
    ops,
    ou_dn,
)
from directory.dn import cn_dn
from directory.policy import PasswordPolicy
from provisioning.actions.adoption import adopt, start_adoption
from provisioning.actions.reconcile import check_organisation
from provisioning.engine import context
from provisioning.job_plans import layout
from provisioning.models import AdoptionState
from tests.provisioning.helpers import SNAPSHOT_ATTRIBUTES, run

pytestmark = [pytest.mark.directory, pytest.mark.django_db]

USERS = 1000
NORMAL_ACCOUNT, DISABLED = 512, 514


def build_tenant(conn, parent_dn: str, code: str, domain: str, service_code: str) -> dict:
    """The tenant as such a portal laid it out: OU=<code> (description: full name) with
    Users and Groups OUs, AllUsers, Admins and a service group, a password policy on
    AllUsers. One connection; members added in one modify per group."""
    ensure_ou(conn, parent_dn, code, description=f"Legacy {code} Ltd")
    org_dn = ou_dn(parent_dn, code)
    ensure_ou(conn, org_dn, "Users")
    ensure_ou(conn, org_dn, "Groups")
    users_dn, groups_dn = ou_dn(org_dn, "Users"), ou_dn(org_dn, "Groups")
    add_upn_suffix(conn, conn_base(conn), domain)
    dns = []
    for number in range(USERS):
        sam = f"{code.lower()[:12]}u{number}"
        dn = cn_dn(users_dn, f"User {number} {code}")
        ops.add(
            conn,
            dn,
            ["top", "person", "organizationalPerson", "user"],
            {
                "sAMAccountName": sam,
                "userPrincipalName": f"{sam}@{domain}",
                "givenName": "User",
                "sn": f"{number} {code}",
                "displayName": f"User {number} {code}",
                "mail": f"{sam}@{domain}",
                "userAccountControl": str(DISABLED),
            },
        )
        dns.append(dn)
    groups = {}
    for name, members in (
        (layout.all_users_group(code), dns),
        (layout.admins_group(code), dns[:2]),
        (layout.service_group(code, service_code), dns[::3]),
    ):
        ensure_group(conn, groups_dn, name)
        dn = cn_dn(groups_dn, name)
        ops.modify(conn, dn, {"member": [(MODIFY_REPLACE, members)]})
        groups[name] = dn
    policy = PasswordPolicy(
        min_length=9,
        complexity=True,
        history_length=5,
        max_age_days=90,
        lockout_threshold=7,
        lockout_duration_minutes=15,
    )
    apply_password_policy(
        conn, layout.policy_name(code), policy, [groups[layout.all_users_group(code)]]
    )
    return {"dn": org_dn, "users": dns, "groups": groups}


def conn_base(conn) -> str:
    return default_naming_context(conn)


def directory_state(conn, base: str) -> dict:
    entries = ops.search(
        conn, base, scope=SUBTREE, attributes=[*SNAPSHOT_ATTRIBUTES, "whenChanged"]
    )
    return {entry["guid"]: (entry["dn"], sorted(map(str, entry.items()))) for entry in entries}


@pytest.fixture
def legacy(tenants, directory_settings, samba_dc):
    """A provider in the portal (its OU made by hand) and a 1,000-user tenant below it."""
    provider = tenants.organisation(name="Hosting provider", is_reseller=True)
    code = tenants.unique("L").upper()
    tenants.codes.append(code)
    domain = tenants.domain()
    service_code = tenants.unique("S").upper()
    service = Service.objects.create(
        code=service_code, name=f"VPN {service_code}", service_type="security_group"
    )
    Plan.objects.create(service=service, name="Standard")
    conn = connect(samba_dc)
    try:
        started = time.monotonic()
        root = directory_settings.DIRECTORY_TENANTS_ROOT
        ensure_ou(conn, root, provider.code)
        provider_dn = ou_dn(root, provider.code)
        built = build_tenant(conn, provider_dn, code, domain, service_code)
        print(f"built {USERS} accounts in {time.monotonic() - started:.1f} s")
    finally:
        conn.unbind()
    yield {
        "provider": provider,
        "code": code,
        "domain": domain,
        "service": service,
        **built,
    }
    # A thousand accounts take the DC longer to tree-delete than a normal read timeout.
    patient = connect(replace(samba_dc, receive_timeout=600))
    try:
        delete_tree(patient, built["dn"])
    finally:
        patient.unbind()


def progress_written(queries) -> list[tuple[int, int]]:
    """(steps_done, steps_total) each time the job's row was written, in order."""
    found = []
    for query in queries:
        done = re.search(r'"steps_done" = (\d+)', query["sql"])
        total = re.search(r'"steps_total" = (\d+)', query["sql"])
        if query["sql"].startswith(f'UPDATE "{Job._meta.db_table}"') and done and total:
            found.append((int(done.group(1)), int(total.group(1))))
    return found


def test_a_1000_user_tenant_is_previewed_adopted_and_then_matches(legacy, samba_dc, monkeypatch):
    conn = connect(samba_dc)
    before = directory_state(conn, legacy["dn"])

    adoption = start_adoption(actor=SYSTEM, parent=legacy["provider"], ou_dn=legacy["dn"])
    # Every progress report written (not one per half second), to see each page's.
    monkeypatch.setattr(context, "FLUSH_SECONDS", 0)
    with CaptureQueriesContext(connection) as queries:
        job = run(adoption.job)
    assert job.state == JobState.SUCCEEDED, job.error
    # The bar moved page by page while the job read (500 accounts a page) and ended full.
    progress = progress_written(queries.captured_queries)
    assert job.steps_done == job.steps_total == USERS + 1
    assert any(0 < done < total for done, total in progress), progress
    assert [done for done, _total in progress] == sorted(done for done, _total in progress)
    adoption.refresh_from_db()
    assert adoption.state == AdoptionState.READY
    preview = adoption.preview
    assert preview["organisation"]["code"] == legacy["code"]
    assert preview["organisation"]["name"] == f"Legacy {legacy['code']} Ltd"
    assert len(preview["users"]) == USERS
    assert sum(user["admin"] for user in preview["users"]) == 2
    assert preview["domains"] == [legacy["domain"]]
    assert preview["policy"]["password_min_length"] == 9
    assert preview["policy"]["lockout_duration_minutes"] == 15
    assert {group["maps_to"] for group in preview["groups"]} == {
        "allusers",
        "admins",
        f"service:{legacy['service'].code}",
    }
    assert preview["problems"] == [] and preview["changes"] == []
    # Reading wrote nothing.
    assert directory_state(conn, legacy["dn"]) == before

    with pytest.raises(ValidationError):
        adopt(actor=SYSTEM, adoption=adoption, user_limit=USERS - 1)
    organisation = adopt(actor=SYSTEM, adoption=adoption, user_limit=USERS)
    assert organisation.status == Status.ACTIVE
    assert organisation.users.count() == USERS
    assert organisation.users.filter(is_admin=True).count() == 2
    assert organisation.password_min_length == 9 and organisation.lockout_threshold == 7
    subscription = CustomerService.objects.get(organisation=organisation)
    assert subscription.assignments.count() == len(legacy["users"][::3])
    assert User.objects.filter(organisation=organisation, directory_guid__isnull=True).count() == 0
    # Adopting wrote nothing either.
    assert directory_state(conn, legacy["dn"]) == before

    report = check_organisation(organisation, conn)
    assert report.error == "" and report.drift == [], report.drift[:10]
    # The reconcile adopt requested keeps the same verdict as a drift report.
    reconcile = Job.objects.filter(organisation=organisation, kind="reconcile").get()
    assert run(reconcile).state == JobState.SUCCEEDED
    kept = DriftReport.objects.get(organisation=organisation)
    assert (kept.found, kept.error) == (0, "")

    # A second adoption of the same OU is refused: it belongs to a customer now.
    again = start_adoption(actor=SYSTEM, parent=legacy["provider"], ou_dn=legacy["dn"])
    run(again.job)
    again.refresh_from_db()
    assert any("belongs to a customer" in problem for problem in again.preview["problems"])
    conn.unbind()


def test_a_missing_ou_fails_the_preview_with_a_sentence(tenants, directory_settings):
    provider = tenants.organisation(name="Hosting provider", is_reseller=True)
    missing = ou_dn(directory_settings.DIRECTORY_TENANTS_ROOT, "NoSuchTenant")
    adoption = start_adoption(actor=SYSTEM, parent=provider, ou_dn=missing)
    job = run(adoption.job)
    assert job.state == JobState.FAILED
    adoption.refresh_from_db()
    assert adoption.state == AdoptionState.FAILED and adoption.preview["error"]
