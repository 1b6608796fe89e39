"""Drift: objects deleted, renamed or changed in AD behind the portal's back are reported,
and a repair (the command, or the Check directory page) puts them right."""

import contextlib

import pytest
from django.core.management import call_command
from django.urls import reverse
from ldap3 import MODIFY_ADD, MODIFY_REPLACE

from core.actors import SYSTEM
from core.models import Job, JobState
from customers.actions.lifecycle import provision_organisation
from directory import (
    delete_group,
    disable_user,
    find_user_by_guid,
    ops,
    remove_upn_suffix,
    set_members,
)
from directory.dn import rdn
from provisioning.actions.reconcile import check_organisation
from provisioning.engine.connection import directory_config
from provisioning.job_plans import layout
from tests.provisioning.helpers import read_entry, run, subtree

pytestmark = [pytest.mark.directory, pytest.mark.django_db]


@pytest.fixture
def customer(tenants, directory_settings):
    org = tenants.customer(domains=2)
    tenants.user(org)
    tenants.user(org)
    job = run(provision_organisation(actor=SYSTEM, organisation=org))
    assert job.state == JobState.SUCCEEDED, job.error
    org.refresh_from_db()
    return org


def kinds(report):
    return sorted((d.kind, d.what, d.name) for d in report.drift)


def reconcile(*args):
    from io import StringIO

    out = StringIO()
    with contextlib.suppress(SystemExit):
        call_command("reconcile", *args, stdout=out)
    return out.getvalue()


def test_a_freshly_provisioned_customer_is_in_step(customer):
    report = check_organisation(customer)

    assert report.error == ""
    assert report.drift == []
    assert report.checked >= 8


def test_drift_is_reported_and_repair_fixes_it(customer, ldap, tenants, test_ou):
    admin, user = customer.users.order_by("pk")
    groups_ou = layout.Layout(directory_config())
    admins_dn = groups_ou.admins_dn(customer)
    # Behind the portal's back: rename the OU, delete a group, change an account, disable
    # it, empty the Admins group's membership, drop a suffix, add an account by hand.
    ops.rename(ldap, groups_ou.organisation_dn(customer), rdn("OU", "Renamed by hand"))
    renamed_root = groups_ou.organisation_dn(customer).replace(
        f"OU={customer.code}", "OU=Renamed by hand", 1
    )
    delete_group(ldap, f"CN={customer.code}-AllUsers,OU=Groups,{renamed_root}")
    account = find_user_by_guid(ldap, user.directory_guid)
    ops.modify(ldap, account["dn"], {"displayName": [(MODIFY_REPLACE, ["Changed by hand"])]})
    disable_user(ldap, account["dn"])
    set_members(ldap, f"CN={customer.code}-Admins,OU=Groups,{renamed_root}", [])
    dropped = customer.domains.order_by("name").first().name
    remove_upn_suffix(ldap, tenants.config.base_dn, dropped)

    report = check_organisation(customer)

    found = kinds(report)
    assert ("different", "OU", customer.code) in found
    assert ("missing", "group", f"{customer.code}-AllUsers") in found
    assert ("different", "account", user.username) in found
    assert ("missing", "membership", f"{admin.username} in {customer.code}-Admins") in found
    assert ("missing", "UPN suffix", dropped) in found
    details = " ".join(d.detail for d in report.drift)
    assert "displayName" in details and "disabled, the portal says enabled" in details

    output = reconcile("--repair", "--organisation", customer.code)

    assert "repair job" in output and "succeeded" in output
    assert check_organisation(customer).drift == []
    assert read_entry(ldap, admins_dn) is not None
    assert len(subtree(ldap, test_ou, "group")) == 2
    assert Job.objects.filter(kind="repair_organisation", state=JobState.SUCCEEDED).count() == 1


def test_an_extra_account_is_reported_and_quarantined_but_never_deleted(customer, ldap, tenants):
    from directory import UserSpec, ensure_user

    users_ou = layout.Layout(directory_config()).users_ou(customer)
    extra = ensure_user(
        ldap,
        users_ou,
        UserSpec(
            upn=f"{tenants.unique('x')}@{customer.primary_domain.name}",
            sam_account_name=tenants.unique("x"),
            given_name="Made",
            surname="By hand",
            display_name="Made By hand",
        ),
    )

    assert [d.kind for d in check_organisation(customer).drift] == ["extra"]
    reconcile("--repair", "--organisation", customer.code)
    assert read_entry(ldap, extra.dn) is None  # moved to the Quarantine OU
    moved = find_user_by_guid(ldap, extra.guid)
    assert moved is not None and "OU=Quarantine," in moved["dn"]


def test_the_command_without_repair_reports_and_changes_nothing(customer, ldap, tenants):
    account = find_user_by_guid(ldap, customer.users.first().directory_guid)
    disable_user(ldap, account["dn"])

    output = reconcile("--organisation", customer.code)

    assert "1 difference(s)" in output
    assert "disabled, the portal says enabled" in output
    assert not Job.objects.filter(kind="repair_organisation").exists()


def test_the_check_directory_page_starts_jobs_and_shows_their_drift(
    customer, ldap, login, tenants, settings
):
    viewer = tenants.user(customer.parent, role="Reseller Admin")
    account = find_user_by_guid(ldap, customer.users.first().directory_guid)
    disable_user(ldap, account["dn"])
    client = login(viewer)
    page_url = reverse("provisioning:check_directory", args=[customer.pk])

    response = client.post(reverse("provisioning:run_check", args=[customer.pk]))

    assert response.url == page_url
    job = Job.objects.get(kind="reconcile")
    assert job.payload == {"mode": "report"}
    following = client.get(page_url, headers={"HX-Request": "true"}).content.decode()
    assert 'id="check-running"' in following and "hx-trigger" in following
    assert run(job).state == JobState.SUCCEEDED
    # The page reads only the database: it renders with the directory out of reach.
    settings.DIRECTORY_URL = "ldaps://127.0.0.1:1"
    html = client.get(page_url).content.decode()
    assert "1 difference found" in html and "disabled, the portal says enabled" in html
    assert "check-running" not in html
    assert "Repair directory" in html
    settings.DIRECTORY_URL = tenants.config.url

    response = client.post(reverse("provisioning:repair_directory", args=[customer.pk]))

    assert response.url == page_url
    repair = Job.objects.filter(kind="reconcile").order_by("-pk").first()
    assert repair.payload == {"mode": "repair"}
    assert run(repair).state == JobState.SUCCEEDED
    html = client.get(page_url).content.decode()
    assert "Repaired: 0 differences remain." in html
    assert check_organisation(customer).drift == []


def test_the_command_keeps_a_drift_report_with_what_its_repair_left(customer, ldap):
    from core.models import DriftReport

    account = find_user_by_guid(ldap, customer.users.first().directory_guid)
    disable_user(ldap, account["dn"])

    reconcile("--repair", "--organisation", customer.code)

    kept = DriftReport.objects.get(organisation=customer)
    assert (kept.found, kept.remaining, kept.repair) == (1, 0, True)
    assert kept.differences[0]["what"] == "account"


def test_a_member_that_is_no_portal_account_is_reported_by_its_dn(customer, ldap, test_ou):
    """The accounts stream past once; the group's member count then shows something else is
    in it, and only then are its members looked up (by memberOf) to name it."""
    outsider = ops.search(ldap, test_ou, "(objectClass=group)", attributes=["cn"])[0]["dn"]
    all_users = layout.Layout(directory_config()).all_users_dn(customer)
    ops.modify(ldap, all_users, {"member": [(MODIFY_ADD, [outsider])]})

    report = check_organisation(customer)

    assert [(d.kind, d.what, d.name) for d in report.drift] == [
        ("extra", "membership", f"{outsider} in {customer.code}-AllUsers")
    ]


def test_a_portal_user_missing_from_the_users_ou_pages_is_still_found(customer, ldap, tenants):
    """A user whose account is not among the Users OU's accounts is looked for by GUID."""
    user = customer.users.order_by("pk").last()
    account = find_user_by_guid(ldap, user.directory_guid)
    other = tenants.customer()
    run(provision_organisation(actor=SYSTEM, organisation=other))
    other.refresh_from_db()
    elsewhere = layout.Layout(directory_config()).users_ou(other)
    ops.rename(ldap, account["dn"], account["dn"].split(",", 1)[0], elsewhere)
    progress = []

    report = check_organisation(customer, progress=lambda *done: progress.append(done))

    assert ("different", "account", user.username) in kinds(report)
    assert progress[-1] == (2, 2)
