"""CloudPortal's five steps, through the real UI, with a real Celery worker and the Samba DC:

1. create a customer, 2. create its administrator, 3. provision services to the customer,
4. create users, 5. provision services to users. Then the directory must say the same: the
user exists with the right UPN, is a member of exactly the groups of their services, and
can sign in with the password typed in the browser.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import expect

from core.actors import SYSTEM
from core.models import Job, JobState
from customers.actions.lifecycle import provision_organisation
from customers.actions.verification import verify_by_hand
from customers.models import Organisation, User
from directory import find_user_by_upn, verify_password
from directory.dn import dn_key, rdn_value
from directory.entry import texts
from tests.browser.conftest import browser_test
from tests.fixtures.catalogue import subscribe, vpn_plan

pytestmark = [*browser_test, pytest.mark.directory, pytest.mark.serial]

ROOT = Path(__file__).resolve().parents[2]
WORKER_LOG = Path(os.environ.get("CANOPY_TEST_WORKER_LOG", "/tmp/canopy-five-steps-worker.log"))
ADMIN_PASSWORD = "Orbit-Admin-2024!"
USER_PASSWORD = "Comet-Trail-77!"


@pytest.fixture
def worker(live_server, directory_settings, samba_dc):
    """A Celery worker process reading this test's database and the test broker."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@"
            f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DIRECTORY_URL": samba_dc.url,
        "DIRECTORY_BIND_USER": samba_dc.bind_user,
        "DIRECTORY_PASSWORD": samba_dc.password,
        "DIRECTORY_CA_FILE": samba_dc.ca_file or "",
        "DIRECTORY_BASE_DN": samba_dc.base_dn,
        "DIRECTORY_TENANTS_ROOT": settings.DIRECTORY_TENANTS_ROOT,
        "JOB_RETRY_BASE_SECONDS": "0.5",
        "JOB_RETRY_MAX_SECONDS": "2",
    }
    env.pop("DIRECTORY_PASSWORD_FILE", None)
    log = open(WORKER_LOG, "w")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--loglevel=info",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while "ready." not in WORKER_LOG.read_text():
        assert process.poll() is None, f"the worker exited: see {WORKER_LOG}"
        assert time.monotonic() < deadline, f"the worker did not start: see {WORKER_LOG}"
        time.sleep(0.2)
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def wait_for_jobs(organisation: Organisation, timeout: float = 120) -> list[Job]:
    """Until every job of the customer has ended; all must have succeeded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = list(Job.objects.filter(organisation=organisation).order_by("pk"))
        if jobs and all(job.is_finished for job in jobs):
            failed = [f"{j.kind}: {j.error}" for j in jobs if j.state != JobState.SUCCEEDED]
            assert not failed, failed
            return jobs
        time.sleep(0.5)
    pending = Job.objects.filter(organisation=organisation).exclude(
        state__in=[JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED]
    )
    pytest.fail(f"jobs still running after {timeout} s: {list(pending.values('kind', 'state'))}")


@pytest.fixture
def committed_cast(transactional_db, browser_settings):
    """The fixed cast, committed: the worker reads it over its own connection."""
    from tests.cast import build_cast

    return build_cast()


def test_cloudportals_five_steps_end_in_the_directory(
    committed_cast, worker, open_as, tenants, ldap
):
    cast = committed_cast
    subscribe(cast.reseller, vpn_plan())  # the reseller holds VPN, so it can pass it on
    # The provider's setup: a customer's OU is built inside its reseller's, so the reseller
    # is provisioned first (by the real worker, into the real DC).
    provision_organisation(actor=SYSTEM, organisation=cast.reseller)
    # Its password policy and UPN suffix are domain-wide: the fixture removes them afterwards.
    tenants.codes.append(cast.reseller.code)
    tenants.domains.extend(cast.reseller.domains.values_list("name", flat=True))
    wait_for_jobs(cast.reseller)
    name = f"Orbit {tenants.tag}"
    domain = tenants.domain()
    page = open_as(cast.reseller_admin)

    # 1. Create a customer (Save/Provision builds its OU tree).
    page.goto("/customers/new/quick/")
    page.fill("#id_name", name)
    page.fill("#id_email", f"it@{domain}")
    page.fill("#id_domain_name", domain)
    page.click("button[name=save_provision]")
    expect(page.locator("h1")).to_contain_text(f"Create the administrator of {name}")
    customer = Organisation.objects.get(name=name)
    tenants.codes.append(customer.code)
    # The customer's domain is proven (the provider vouches for it; tests of the DNS proof
    # are in tests/customers/test_domain_verification.py): its accounts may reach AD.
    verify_by_hand(actor=SYSTEM, domain=customer.domains.get(name=domain))

    # 2. Create its administrator.
    page.fill("#id_upn_local", "boss")
    page.fill("#id_username", f"boss{tenants.tag}")
    page.fill("#id_first_name", "Bea")
    page.fill("#id_last_name", "Boss")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.fill("#id_password2", ADMIN_PASSWORD)
    page.click("button[name=create]")
    expect(page.locator("h1")).to_contain_text("Provision services")

    # 3. Provision a service to the customer.
    page.goto(f"/services/customers/{customer.pk}/")
    page.select_option("#id_plan", label="VPN Standard")
    page.fill("#id_user_limit", "10")
    page.click("text=Provision service")
    expect(page.locator("table[aria-label=Services]")).to_contain_text("VPN")

    # 4. Create a user (the customer admin's job; the reseller admin acts inside it).
    page.goto(f"/users/organisations/{customer.pk}/new/")
    page.fill("#id_upn_local", "jane.orbit")
    page.fill("#id_first_name", "Jane")
    page.fill("#id_last_name", "Orbit")
    page.fill("#id_username", f"jorbit{tenants.tag}")
    page.fill("#id_password", USER_PASSWORD)
    page.fill("#id_password_repeat", USER_PASSWORD)
    page.uncheck("#id_must_change_password")
    page.click("text=Create user")
    expect(page.locator("h1")).to_contain_text("Jane Orbit")

    # 5. Provision the service to the user, on the user's page.
    page.check("table[aria-label=Services] input[type=checkbox]")
    page.click("text=Save services")
    expect(page.locator(".alert-success")).to_contain_text("Saved the services")

    wait_for_jobs(customer)
    jane = User.objects.get(username=f"jorbit{tenants.tag}")
    assert jane.upn == f"jane.orbit@{domain}"
    entry = find_user_by_upn(ldap, jane.upn, ["userPrincipalName", "memberOf"])
    assert entry is not None, "the account was not created"
    assert texts(entry, "userPrincipalName") == [jane.upn]
    groups = sorted(rdn_value(dn) for dn in texts(entry, "memberOf"))
    assert groups == sorted([f"{customer.code}-AllUsers", f"{customer.code}-VPN"])
    assert verify_password(tenants.config, jane.upn, USER_PASSWORD)
    boss = find_user_by_upn(ldap, f"boss@{domain}", ["memberOf"])
    assert sorted(rdn_value(dn) for dn in texts(boss, "memberOf")) == sorted(
        [f"{customer.code}-AllUsers", f"{customer.code}-Admins"]
    )
    assert dn_key(entry["dn"]) != dn_key(boss["dn"])
