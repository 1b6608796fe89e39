"""Every kind of drift made behind the portal's back with raw ldap3 is found by reconcile and
put right by a repair; what the portal does not know is quarantined, never deleted, and a
person then adopts it or deletes it for good."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from ldap3 import MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE

from core.actors import SYSTEM
from core.jobs import JobKind
from core.models import DriftReport, Job, JobState, QuarantinedObject, QuarantineState
from customers.actions import catalogue
from customers.actions.assignments import give_service
from customers.actions.domains import add_alias, remove_alias
from customers.actions.lifecycle import provision_organisation
from customers.actions.users import edit_user, set_enabled
from customers.actions.verification import verify_by_hand
from customers.models import Plan, Service, User
from directory import (
    QUARANTINE_OU,
    UserSpec,
    add_upn_suffix,
    cn_dn,
    disable_user,
    enable_user,
    ensure_group,
    ensure_user,
    find_by_guid,
    list_upn_suffixes,
    ops,
    ou_dn,
    password_policy_dn,
)
from directory.dn import dn_key, rdn
from directory.entry import integer, text, texts
from provisioning.actions.jobs import request_reconcile, request_repair
from provisioning.actions.quarantine import adopt_quarantined_account, delete_quarantined_object
from provisioning.actions.reconcile import check_organisation
from provisioning.engine.connection import directory_config
from provisioning.job_plans.layout import Layout
from tests.provisioning.helpers import run

pytestmark = [pytest.mark.directory, pytest.mark.django_db]


def succeeded(job: Job) -> Job:
    job = run(job)
    assert job.state == JobState.SUCCEEDED, job.error
    return job


@pytest.fixture
def customer(tenants, directory_settings):
    """A provisioned customer: an administrator, a user, and a security-group service the
    user has."""
    org = tenants.customer()
    tenants.user(org, is_admin=True)
    user = tenants.user(org)
    succeeded(provision_organisation(actor=SYSTEM, organisation=org))
    code = tenants.unique("S").upper()
    service = Service.objects.create(code=code, name=f"VPN {code}", service_type="security_group")
    plan = Plan.objects.create(service=service, name="Standard")
    subscription, job = catalogue.provision_service(actor=SYSTEM, organisation=org, plan=plan)
    succeeded(job)
    succeeded(give_service(actor=SYSTEM, subscription=subscription, users=[user]))
    org.refresh_from_db()
    assert check_organisation(org).drift == []
    return org


class Where:
    """Where the customer's objects are, for the probe."""

    def __init__(self, org):
        self.org = org
        self.layout = Layout(directory_config())
        self.admin, self.user = org.users.order_by("pk")
        self.service = org.services.get().service

    @property
    def org_dn(self):
        return self.layout.organisation_dn(self.org)

    def group(self, name):
        return cn_dn(self.layout.groups_ou(self.org), name)

    @property
    def all_users(self):
        return self.group(f"{self.org.code}-AllUsers")

    @property
    def admins(self):
        return self.group(f"{self.org.code}-Admins")

    @property
    def service_group(self):
        return self.group(f"{self.org.code}-{self.service.code}")

    def account(self, ldap, user):
        return find_by_guid(ldap, user.directory_guid, ["*"])


def members(ldap, dn):
    entry = ops.read(ldap, dn, ["member"])
    return {dn_key(value) for value in texts(entry, "member")}


def found(report):
    return {(d.kind, d.what, d.name) for d in report.drift}


def repair(org):
    succeeded(request_repair(actor=SYSTEM, organisation=org))
    after = check_organisation(org)
    assert after.error == ""
    assert after.drift == [], after.drift


def stray_account(ldap, where, tenants, parent=None):
    name = tenants.unique("x")
    return ensure_user(
        ldap,
        parent or where.layout.users_ou(where.org),
        UserSpec(
            upn=f"{name}@{where.org.primary_domain.name}",
            sam_account_name=name,
            given_name="Made",
            surname="By hand",
            display_name=f"Made By hand {name}",
        ),
    )


# --- one test per kind of drift -------------------------------------------------------------


def test_a_deleted_service_group_is_found_and_made_again(customer, ldap):
    where = Where(customer)
    ops.delete(ldap, where.service_group)

    assert ("missing", "group", f"{customer.code}-{where.service.code}") in found(
        check_organisation(customer)
    )
    repair(customer)
    assert dn_key(where.account(ldap, where.user)["dn"]) in members(ldap, where.service_group)


def test_a_removed_member_is_found_and_put_back(customer, ldap):
    where = Where(customer)
    account = where.account(ldap, where.user)["dn"]
    ops.modify(ldap, where.all_users, {"member": [(MODIFY_DELETE, [account])]})

    report = check_organisation(customer)

    assert ("missing", "membership", f"{where.user.username} in {customer.code}-AllUsers") in (
        found(report)
    )
    repair(customer)
    assert dn_key(account) in members(ldap, where.all_users)


def test_an_added_member_is_found_and_taken_out(customer, ldap):
    where = Where(customer)
    account = where.account(ldap, where.user)["dn"]
    ops.modify(ldap, where.admins, {"member": [(MODIFY_ADD, [account])]})

    report = check_organisation(customer)

    assert [d.what for d in report.drift if d.kind == "extra"] == ["membership"]
    repair(customer)
    assert dn_key(account) not in members(ldap, where.admins)


def test_a_renamed_ou_is_found_and_named_back(customer, ldap):
    where = Where(customer)
    ops.rename(ldap, where.org_dn, rdn("OU", "Renamed by hand"))

    assert ("different", "OU", customer.code) in found(check_organisation(customer))
    repair(customer)
    assert dn_key(find_by_guid(ldap, customer.directory_guid, ["ou"])["dn"]) == dn_key(where.org_dn)


def test_a_moved_ou_is_found_and_moved_back(customer, ldap):
    where = Where(customer)
    users_ou = where.layout.users_ou(customer)
    ops.rename(ldap, users_ou, rdn("OU", "Users"), where.layout.groups_ou(customer))

    assert ("different", "OU", "Users") in found(check_organisation(customer))
    repair(customer)
    assert ops.read(ldap, users_ou) is not None
    assert dn_key(where.account(ldap, where.user)["dn"])[1:] == dn_key(users_ou)


def test_a_disabled_user_is_found_and_enabled_again(customer, ldap):
    where = Where(customer)
    disable_user(ldap, where.account(ldap, where.user)["dn"])

    report = check_organisation(customer)

    assert ("different", "account", where.user.username) in found(report)
    assert "disabled, the portal says enabled" in " ".join(d.detail for d in report.drift)
    repair(customer)
    assert not integer(where.account(ldap, where.user), "userAccountControl") & 2


def test_a_user_enabled_behind_the_portals_back_is_found_and_disabled_again(customer, ldap):
    where = Where(customer)
    succeeded(set_enabled(actor=SYSTEM, person=where.user, enabled=False))
    enable_user(ldap, where.account(ldap, where.user)["dn"])

    report = check_organisation(customer)

    assert "enabled, the portal says disabled" in " ".join(d.detail for d in report.drift)
    repair(customer)
    assert integer(where.account(ldap, where.user), "userAccountControl") & 2


def test_a_renamed_user_is_found_and_named_back(customer, ldap):
    where = Where(customer)
    before = where.account(ldap, where.user)["dn"]
    ops.rename(ldap, before, rdn("CN", "Renamed by hand"))
    ops.modify(
        ldap,
        cn_dn(where.layout.users_ou(customer), "Renamed by hand"),
        {"displayName": [(MODIFY_REPLACE, ["Renamed by hand"])]},
    )

    report = check_organisation(customer)

    assert ("different", "account", where.user.username) in found(report)
    repair(customer)
    after = where.account(ldap, where.user)
    assert dn_key(after["dn"]) == dn_key(before)
    assert text(after, "displayName") == where.user.display_name


def test_a_moved_user_is_found_and_moved_back(customer, ldap):
    where = Where(customer)
    before = where.account(ldap, where.user)["dn"]
    ops.rename(ldap, before, before.split(",", 1)[0], where.org_dn)

    assert ("different", "account", where.user.username) in found(check_organisation(customer))
    repair(customer)
    assert dn_key(where.account(ldap, where.user)["dn"]) == dn_key(before)


def test_an_edited_password_policy_is_found_and_restored(customer, ldap):
    policy = password_policy_dn(ldap, f"{customer.code}-PasswordPolicy")
    ops.modify(ldap, policy, {"msDS-MinimumPasswordLength": [(MODIFY_REPLACE, ["1"])]})

    report = check_organisation(customer)

    assert ("different", "password policy", f"{customer.code}-PasswordPolicy") in found(report)
    repair(customer)
    entry = ops.read(ldap, policy, ["msDS-MinimumPasswordLength"])
    assert integer(entry, "msDS-MinimumPasswordLength") == customer.password_min_length


def quarantined(ldap, customer, guid):
    """The object, checked to be in the tenant's Quarantine OU with a note."""
    entry = find_by_guid(ldap, guid, ["*"])
    assert entry is not None, "a stray is never deleted by a repair"
    where = Where(customer)
    assert dn_key(entry["dn"])[1:] == dn_key(ou_dn(where.org_dn, QUARANTINE_OU))
    assert text(entry, "description").startswith("Quarantined by Canopy on ")
    assert "not in the portal" in text(entry, "description")
    return entry


def run_queued() -> None:
    """Run every job waiting, in the order they were requested (as a worker would)."""
    for job in Job.objects.filter(state=JobState.QUEUED).order_by("pk"):
        succeeded(job)


def verified_alias(customer, tenants):
    """A second domain of the customer, verified, its UPN suffix added by the update job."""
    domain = add_alias(actor=SYSTEM, organisation=customer, name=tenants.domain())
    verify_by_hand(actor=SYSTEM, domain=domain)
    succeeded(Job.objects.filter(kind=JobKind.UPDATE_ORGANISATION).latest("pk"))
    return domain


def mail_service(customer, tenants, users):
    code = tenants.unique("M").upper()
    service = Service.objects.create(code=code, name=f"Mail {code}", service_type="mail_attributes")
    plan = Plan.objects.create(service=service, name="Standard")
    subscription, job = catalogue.provision_service(actor=SYSTEM, organisation=customer, plan=plan)
    succeeded(job)
    succeeded(give_service(actor=SYSTEM, subscription=subscription, users=users))
    return subscription


def test_mail_addresses_changed_by_hand_are_found_and_put_back(customer, ldap, tenants):
    where = Where(customer)
    user = where.user
    domain = verified_alias(customer, tenants)
    mail_service(customer, tenants, [user])
    user.refresh_from_db()
    edit_user(actor=SYSTEM, person=user, changes={"email_aliases": [f"sales@{domain.name}"]})
    run_queued()  # the account, then the addresses
    wanted = sorted([f"SMTP:{user.upn}", f"smtp:sales@{domain.name}"])
    account = where.account(ldap, user)
    assert sorted(texts(account, "proxyAddresses")) == wanted
    assert check_organisation(customer).drift == []

    ops.modify(
        ldap,
        account["dn"],
        {"proxyAddresses": [(MODIFY_REPLACE, [f"SMTP:{user.upn}", "smtp:boss@else.example"])]},
    )
    report = check_organisation(customer)
    assert ("different", "account", user.username) in found(report)
    assert any(
        "proxyAddresses" in d.detail and "smtp:boss@else.example" in d.detail for d in report.drift
    )
    repair(customer)
    assert sorted(texts(where.account(ldap, user), "proxyAddresses")) == wanted


def forest_suffixes(ldap):
    return {name.lower() for name in list_upn_suffixes(ldap, directory_config().base_dn)}


def test_a_upn_suffix_left_after_its_domains_removal_is_found_and_taken_away(
    customer, ldap, tenants
):
    where = Where(customer)
    user = where.user
    local, _, primary = user.upn.partition("@")
    domain = verified_alias(customer, tenants)
    edit_user(actor=SYSTEM, person=user, changes={"upn": f"{local}@{domain.name}"})
    run_queued()  # the account, then the services that follow the UPN
    edit_user(actor=SYSTEM, person=user, changes={"upn": f"{local}@{primary}"})
    run_queued()
    # Removed in the portal, but the update job that takes the suffix away never ran (its
    # message lost), and someone gave the account its old UPN back by hand.
    remove_alias(actor=SYSTEM, domain=domain)
    account = where.account(ldap, user)["dn"]
    ops.modify(ldap, account, {"userPrincipalName": [(MODIFY_REPLACE, [f"{local}@{domain.name}"])]})

    drift = found(check_organisation(customer))
    assert ("extra", "UPN suffix", domain.name) in drift
    assert ("different", "UPN suffix", domain.name) in drift
    repair(customer)
    assert domain.name not in forest_suffixes(ldap)
    assert text(where.account(ldap, user), "userPrincipalName") == f"{local}@{primary}"


def test_a_suffix_the_forest_had_before_is_never_reported_or_taken_away(customer, ldap, tenants):
    name = tenants.domain()
    add_upn_suffix(ldap, directory_config().base_dn, name)
    domain = add_alias(actor=SYSTEM, organisation=customer, name=name)
    verify_by_hand(actor=SYSTEM, domain=domain)
    succeeded(Job.objects.filter(kind=JobKind.UPDATE_ORGANISATION).latest("pk"))
    remove_alias(actor=SYSTEM, domain=domain)

    assert check_organisation(customer).drift == []
    succeeded(request_repair(actor=SYSTEM, organisation=customer))
    assert name in forest_suffixes(ldap)


def test_a_stray_account_is_found_and_quarantined_not_deleted(customer, ldap, tenants):
    where = Where(customer)
    stray = stray_account(ldap, where, tenants)

    report = check_organisation(customer)

    assert [(d.kind, d.what) for d in report.drift] == [("extra", "account")]
    repair(customer)
    entry = quarantined(ldap, customer, stray.guid)
    assert integer(entry, "userAccountControl") & 2
    row = QuarantinedObject.objects.get(guid=stray.guid)
    assert (row.organisation, row.kind, row.state) == (customer, "account", "quarantined")
    assert row.name == stray.sam_account_name


def test_a_stray_account_anywhere_in_the_tenants_ou_is_found(customer, ldap, tenants):
    where = Where(customer)
    stray = stray_account(ldap, where, tenants, parent=where.org_dn)

    assert [(d.kind, d.what) for d in check_organisation(customer).drift] == [("extra", "account")]
    repair(customer)
    quarantined(ldap, customer, stray.guid)


def test_a_stray_group_is_found_and_quarantined_without_its_rights(customer, ldap, tenants):
    where = Where(customer)
    guid = ensure_group(ldap, where.layout.groups_ou(customer), tenants.unique("G"))

    report = check_organisation(customer)

    assert [(d.kind, d.what) for d in report.drift] == [("extra", "group")]
    repair(customer)
    entry = quarantined(ldap, customer, guid)
    assert not integer(entry, "groupType") & 0x80000000  # no longer a security group
    assert QuarantinedObject.objects.get(guid=guid).kind == "group"


def test_every_kind_at_once_is_found_and_repaired(customer, ldap, tenants):
    where = Where(customer)
    account = where.account(ldap, where.user)["dn"]
    ops.modify(ldap, where.all_users, {"member": [(MODIFY_DELETE, [account])]})
    ops.modify(ldap, where.admins, {"member": [(MODIFY_ADD, [account])]})
    ops.delete(ldap, where.service_group)
    disable_user(ldap, account)
    policy = password_policy_dn(ldap, f"{customer.code}-PasswordPolicy")
    ops.modify(ldap, policy, {"msDS-MinimumPasswordLength": [(MODIFY_REPLACE, ["1"])]})
    stray = stray_account(ldap, where, tenants)
    group = ensure_group(ldap, where.layout.groups_ou(customer), tenants.unique("G"))
    ops.rename(ldap, where.org_dn, rdn("OU", "Renamed by hand"))

    report = check_organisation(customer)

    kinds = {(d.kind, d.what) for d in report.drift}
    assert kinds >= {
        ("missing", "membership"),
        ("extra", "membership"),
        ("missing", "group"),
        ("different", "account"),
        ("different", "password policy"),
        ("extra", "account"),
        ("extra", "group"),
        ("different", "OU"),
    }
    repair(customer)
    quarantined(ldap, customer, stray.guid)
    quarantined(ldap, customer, group)


# --- decisions -------------------------------------------------------------------------------


@pytest.fixture
def set_aside(customer, ldap, tenants):
    stray = stray_account(ldap, Where(customer), tenants)
    repair(customer)
    return QuarantinedObject.objects.get(guid=stray.guid)


def test_an_adopted_account_becomes_a_portal_user_anchored_by_its_guid(customer, ldap, set_aside):
    person = adopt_quarantined_account(actor=SYSTEM, item=set_aside)

    for job in Job.objects.filter(state=JobState.QUEUED).order_by("pk"):
        succeeded(job)
    person.refresh_from_db()
    assert person.directory_guid == set_aside.guid
    assert person.username == set_aside.name
    assert person.first_name == "Made"
    entry = find_by_guid(ldap, set_aside.guid, ["*"])
    assert dn_key(entry["dn"])[1:] == dn_key(Layout(directory_config()).users_ou(customer))
    assert text(entry, "description") is None
    assert not integer(entry, "userAccountControl") & 2
    set_aside.refresh_from_db()
    assert set_aside.state == QuarantineState.ADOPTED
    assert check_organisation(customer).drift == []


def test_a_quarantined_account_deleted_for_good_is_gone(customer, ldap, set_aside):
    job = delete_quarantined_object(actor=SYSTEM, item=set_aside)

    succeeded(job)
    assert job.kind == JobKind.QUARANTINE_DECISION
    assert find_by_guid(ldap, set_aside.guid, ["cn"]) is None
    set_aside.refresh_from_db()
    assert set_aside.state == QuarantineState.DELETED
    with pytest.raises(ValidationError):
        delete_quarantined_object(actor=SYSTEM, item=set_aside)


def test_a_cancelled_deletion_leaves_the_decision_open_again(customer, ldap, set_aside):
    from provisioning.actions.jobs import cancel_job

    job = delete_quarantined_object(actor=SYSTEM, item=set_aside)
    with pytest.raises(ValidationError):  # already being deleted
        delete_quarantined_object(actor=SYSTEM, item=set_aside)
    cancel_job(actor=SYSTEM, job=job)

    again = delete_quarantined_object(actor=SYSTEM, item=set_aside)

    succeeded(again)
    set_aside.refresh_from_db()
    assert set_aside.state == QuarantineState.DELETED


def test_a_decision_needs_the_permission(customer, set_aside, tenants):
    from django.core.exceptions import PermissionDenied

    plain = tenants.user(customer, role="User")
    with pytest.raises(PermissionDenied):
        delete_quarantined_object(actor=plain, item=set_aside)
    with pytest.raises(PermissionDenied):
        adopt_quarantined_account(actor=plain, item=set_aside)
    assert not User.objects.filter(directory_guid=set_aside.guid).exists()


def test_another_tenants_account_moved_in_is_reported_but_never_quarantined(
    customer, ldap, tenants
):
    other = tenants.customer()
    neighbour = tenants.user(other)
    succeeded(provision_organisation(actor=SYSTEM, organisation=other))
    neighbour.refresh_from_db()
    account = find_by_guid(ldap, neighbour.directory_guid, ["cn"])["dn"]
    ops.rename(ldap, account, account.split(",", 1)[0], Where(customer).layout.users_ou(customer))

    report = check_organisation(customer)

    assert [(d.kind, d.what) for d in report.drift] == [("extra", "account")]
    assert "another organisation's" in report.drift[0].detail
    succeeded(request_repair(actor=SYSTEM, organisation=customer))
    entry = find_by_guid(ldap, neighbour.directory_guid, ["*"])
    assert "OU=Quarantine," not in entry["dn"]
    assert not integer(entry, "userAccountControl") & 2
    assert not QuarantinedObject.objects.exists()


# --- the reconcile job -----------------------------------------------------------------------


def test_a_report_only_reconcile_keeps_a_report_and_changes_nothing(customer, ldap, tenants):
    stray = stray_account(ldap, Where(customer), tenants)

    job = succeeded(request_reconcile(actor=SYSTEM, organisation=customer))

    drift = DriftReport.objects.get(job=job)
    assert (drift.found, drift.remaining, drift.repair) == (1, 1, False)
    assert drift.differences[0]["kind"] == "extra"
    assert find_by_guid(ldap, stray.guid, ["cn"])["dn"] == stray.dn


def test_a_repairing_reconcile_repairs_quarantines_and_counts_what_is_left(customer, ldap, tenants):
    where = Where(customer)
    stray = stray_account(ldap, where, tenants)
    disable_user(ldap, where.account(ldap, where.user)["dn"])

    job = succeeded(request_reconcile(actor=SYSTEM, organisation=customer, repair=True))

    drift = DriftReport.objects.get(job=job)
    assert (drift.found, drift.remaining, drift.repair) == (2, 0, True)
    quarantined(ldap, customer, stray.guid)
    assert QuarantinedObject.objects.get(guid=stray.guid).job == job


# --- the decisions through the customer's page ------------------------------------------------


def test_a_reseller_admin_adopts_and_deletes_from_the_customers_page(
    customer, ldap, tenants, login
):
    where = Where(customer)
    keep, drop = stray_account(ldap, where, tenants), stray_account(ldap, where, tenants)
    repair(customer)
    client = login(tenants.user(customer.parent, role="Reseller Admin"))
    kept = QuarantinedObject.objects.get(guid=keep.guid)
    dropped = QuarantinedObject.objects.get(guid=drop.guid)
    page = client.get(customer.get_absolute_url()).content.decode()
    assert page.count("data-quarantined=") == 2

    adopted = client.post(reverse("provisioning:quarantine_adopt", args=[kept.pk]))
    deleted = client.post(reverse("provisioning:quarantine_delete", args=[dropped.pk]))

    person = User.objects.get(directory_guid=keep.guid)
    assert adopted.url == person.get_absolute_url()
    job = Job.objects.get(kind=JobKind.QUARANTINE_DECISION, payload__decision="delete")
    assert deleted.url == job.get_absolute_url()
    for queued in Job.objects.filter(state=JobState.QUEUED).order_by("pk"):
        succeeded(queued)
    assert find_by_guid(ldap, drop.guid, ["cn"]) is None
    assert find_by_guid(ldap, keep.guid, ["cn"]) is not None
    assert "data-quarantined=" not in client.get(customer.get_absolute_url()).content.decode()
    assert check_organisation(customer).drift == []


def test_a_resellers_strays_leave_out_its_customers_accounts(customer, ldap, tenants):
    from provisioning.job_plans.quarantine import strays

    provider = customer.parent
    provider.refresh_from_db()
    where = Where(customer)
    provider_dn = where.layout.organisation_dn(provider)
    assert strays(ldap, provider_dn, provider) == []  # the customer's accounts are its own

    stray = stray_account(ldap, where, tenants, parent=provider_dn)

    assert [found.guid for found in strays(ldap, provider_dn, provider)] == [stray.guid]
    assert [found.guid for found in strays(ldap, where.org_dn, customer)] == []


def test_two_strays_of_the_same_name_are_both_kept_in_quarantine(customer, ldap, tenants):
    where = Where(customer)
    first = ensure_group(ldap, where.layout.groups_ou(customer), "Same name")
    repair(customer)
    second = ensure_group(ldap, where.layout.groups_ou(customer), "Same name")

    repair(customer)

    quarantined(ldap, customer, first)
    assert f"({second})" in quarantined(ldap, customer, second)["dn"]
