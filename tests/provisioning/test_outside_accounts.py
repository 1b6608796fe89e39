"""An account outside the tenants root is never touched by a job, whatever UPN a portal user has.

The attack: a portal user is given the UPN of an account Canopy does not manage (a service
account elsewhere in the domain), then help desk unlocks it, the customer admin makes it an
administrator, resets its password, disables or deletes it. Each job must either fail or
make a new account inside the tenant; the outside account keeps every attribute, group
membership and its password.
"""

from __future__ import annotations

import secrets

import pytest
from django.urls import reverse

from core.actors import SYSTEM
from core.jobs import JobKind
from core.models import Job, JobState
from customers.actions.lifecycle import provision_organisation
from customers.actions.users import user_job
from directory import (
    UserSpec,
    connect,
    delete_tree,
    ensure_ou,
    ensure_user,
    find_user_by_guid,
    is_within,
    ou_dn,
    verify_password,
)
from directory.entry import text, texts
from provisioning.engine.connection import directory_config
from provisioning.job_plans.layout import Layout
from tests.factories import UserFactory
from tests.fixtures.samba import TESTS_OU_NAME
from tests.provisioning.helpers import run

pytestmark = [pytest.mark.directory, pytest.mark.django_db]

OUTSIDE_PASSWORD = "Outside-service-Pw-9!"
NEW_PASSWORD = "Attacker-chosen-Pw-5!"
# Everything a job could change on an account; uSNChanged moves on any write at all.
WATCHED = [
    "uSNChanged",
    "userAccountControl",
    "lockoutTime",
    "pwdLastSet",
    "memberOf",
    "userPrincipalName",
    "displayName",
    "givenName",
    "sn",
    "mail",
    "description",
]


@pytest.fixture
def outside_ou(samba_dc, test_ou):
    """An OU beside the tenants root (the test's own OU), so outside every tenant."""
    name = f"outside-{secrets.token_hex(4)}"
    parent = ou_dn(samba_dc.base_dn, TESTS_OU_NAME)
    conn = connect(samba_dc)
    try:
        ensure_ou(conn, parent, name)
    finally:
        conn.unbind()
    dn = ou_dn(parent, name)
    assert not is_within(dn, test_ou)
    yield dn
    conn = connect(samba_dc)
    try:
        delete_tree(conn, dn)
    finally:
        conn.unbind()


@pytest.fixture
def customer(tenants, directory_settings):
    org = tenants.customer()
    tenants.user(org)  # its first administrator
    job = run(provision_organisation(actor=SYSTEM, organisation=org))
    assert job.state == JobState.SUCCEEDED, job.error
    org.refresh_from_db()
    return org


@pytest.fixture
def service_account(ldap, outside_ou, customer, tenants):
    """An enabled account outside Canopy whose UPN is on the customer's own domain."""
    upn = f"{tenants.unique('svc')}@{customer.primary_domain.name}"
    return ensure_user(
        ldap,
        outside_ou,
        UserSpec(
            upn=upn,
            sam_account_name=tenants.unique("svc"),
            given_name="Service",
            surname="Account",
            display_name="Service Account",
            description="Not managed by Canopy",
        ),
        password=OUTSIDE_PASSWORD,
    )


@pytest.fixture
def impostor(service_account, customer, tenants, ldap):
    """A portal user of the customer with the outside account's UPN and no GUID."""
    entry = find_user_by_guid(ldap, service_account.guid, ["userPrincipalName"])
    user = tenants.user(customer, upn=text(entry, "userPrincipalName"))
    assert user.directory_guid is None
    return user


def watched(ldap, guid) -> dict:
    entry = find_user_by_guid(ldap, guid, WATCHED)
    assert entry is not None, "the outside account is gone"
    values = {name: sorted(texts(entry, name)) for name in WATCHED}
    return {"dn": entry["dn"], **values}


def assert_untouched(ldap, tenants, service_account, before: dict) -> None:
    assert watched(ldap, service_account.guid) == before
    assert verify_password(tenants.config, before["userPrincipalName"][0], OUTSIDE_PASSWORD)


def assert_failed_or_made_inside(job: Job, customer, ldap, outside_ou: str, user) -> None:
    outside = outside_ou.split(",")[0].partition("=")[2]
    assert outside not in (job.error or ""), "the error names the outside account"
    if job.state == JobState.SUCCEEDED and job.kind == JobKind.DELETE_USER:
        return  # nothing of the user's was inside the tenant: "already gone"
    if job.state == JobState.SUCCEEDED:
        user.refresh_from_db()
        assert user.directory_guid is not None
        made = find_user_by_guid(ldap, user.directory_guid)
        assert is_within(made["dn"], Layout(directory_config()).organisation_dn(customer))
    else:
        assert job.state == JobState.FAILED
        assert job.error


JOBS = {
    JobKind.UNLOCK_USER: {},
    JobKind.SET_ADMINISTRATOR: {"payload": {"admin": True}},
    JobKind.RESET_PASSWORD: {"password": NEW_PASSWORD, "payload": {"must_change": False}},
    JobKind.DISABLE_USER: {},
    JobKind.DELETE_USER: {},
}


@pytest.mark.parametrize("kind", list(JOBS))
def test_a_job_for_a_user_borrowing_an_outside_accounts_upn_leaves_that_account_alone(
    kind, customer, service_account, impostor, ldap, outside_ou, tenants
):
    if kind == JobKind.SET_ADMINISTRATOR:
        impostor.is_admin = True
        impostor.save()
    if kind == JobKind.DISABLE_USER:
        impostor.is_active = False
        impostor.save()
    before = watched(ldap, service_account.guid)

    job = run(user_job(kind=kind, actor=SYSTEM, user=impostor, **JOBS[kind]))

    assert_untouched(ldap, tenants, service_account, before)
    assert_failed_or_made_inside(job, customer, ldap, outside_ou, impostor)


def test_a_job_refuses_an_account_its_guid_finds_outside_the_organisation(
    customer, service_account, ldap, outside_ou, tenants
):
    """A GUID pointing outside the organisation (moved away, or planted) is not followed."""
    user = tenants.user(customer)
    type(user).objects.filter(pk=user.pk).update(directory_guid=service_account.guid)
    user.refresh_from_db()
    before = watched(ldap, service_account.guid)

    for kind in (JobKind.UNLOCK_USER, JobKind.UPDATE_USER, JobKind.RESET_PASSWORD):
        extra = {"password": NEW_PASSWORD} if kind == JobKind.RESET_PASSWORD else {}
        job = run(user_job(kind=kind, actor=SYSTEM, user=user, **extra))
        assert job.state == JobState.FAILED, kind
        assert "outside" in job.error
        assert outside_ou.split(",")[0].partition("=")[2] not in job.error

    assert_untouched(ldap, tenants, service_account, before)


def test_help_desk_pressing_unlock_for_a_user_borrowing_an_outside_upn_leaves_it_locked_alone(
    customer, service_account, impostor, ldap, outside_ou, tenants, login
):
    help_desk = UserFactory(username=tenants.unique("hd"), organisation=customer, role="Help Desk")
    before = watched(ldap, service_account.guid)

    response = login(help_desk).post(reverse("users:unlock", args=[impostor.pk]))

    assert response.status_code == 302
    job = run(Job.objects.get(kind=JobKind.UNLOCK_USER, user=impostor))
    assert job.state == JobState.FAILED
    assert_untouched(ldap, tenants, service_account, before)
