"""Provisioning a customer builds its whole tree in AD, once, with every name escaped."""

import pytest

from core.actors import SYSTEM
from core.jobs import JobKind
from core.models import Job, JobState
from customers.actions.lifecycle import deprovision_and_delete, provision_organisation
from customers.actions.users import user_job
from customers.models import Organisation, Status
from directory import (
    PasswordRejectedError,
    find_user_by_guid,
    get_members,
    list_upn_suffixes,
    set_password,
    verify_password,
)
from directory.dn import cn_dn, dn_key, ou_dn, parent_of
from directory.entry import text, texts
from directory.policy import password_settings_container
from provisioning.job_plans import layout
from tests.fixtures.directory_tenants import ADMIN_PASSWORD
from tests.provisioning.helpers import provision, read_entry, run, subtree

pytestmark = [pytest.mark.directory, pytest.mark.django_db]

NASTY = 'Acme, Inc. + "Partners" <EU>; #1 ='


@pytest.fixture
def acme(tenants, directory_settings):
    customer = tenants.customer(
        name=NASTY,
        domains=2,
        password_min_length=12,
        password_history=5,
        password_max_age_days=60,
        lockout_threshold=5,
    )
    admin = tenants.user(customer, display_name=f"Admin of {NASTY}", first_name="Ada")
    return customer, admin


def test_provisioning_a_nasty_name_makes_each_object_exactly_once(acme, ldap, test_ou, samba_dc):
    customer, admin = acme
    job = provision(customer, admin)

    assert customer.status == Status.ACTIVE
    assert customer.provisioned_at is not None
    assert job.steps_done == job.steps_total > 10
    provider_dn = ou_dn(test_ou, customer.parent.code)
    customer_dn = ou_dn(provider_dn, customer.code)
    ous = subtree(ldap, test_ou, "organizationalUnit")
    assert sorted(dn_key(e["dn"]) for e in ous) == sorted(
        dn_key(dn)
        for dn in [
            test_ou,
            provider_dn,
            customer_dn,
            ou_dn(customer_dn, "Users"),
            ou_dn(customer_dn, "Groups"),
        ]
    )
    assert text(read_entry(ldap, customer_dn, ["description"]), "description") == NASTY
    assert read_entry(ldap, customer_dn)["guid"] == customer.directory_guid

    groups = subtree(ldap, test_ou, "group")
    assert sorted(text(g, "cn") for g in groups) == [
        f"{customer.code}-Admins",
        f"{customer.code}-AllUsers",
    ]
    users = subtree(ldap, test_ou, "user")
    assert len(users) == 1
    account = find_user_by_guid(ldap, admin.directory_guid)
    assert account is not None
    assert text(account, "displayName") == f"Admin of {NASTY}"
    assert dn_key(users[0]["dn"]) == dn_key(account["dn"])

    all_users = cn_dn(ou_dn(customer_dn, "Groups"), f"{customer.code}-AllUsers")
    admins = cn_dn(ou_dn(customer_dn, "Groups"), f"{customer.code}-Admins")
    assert [dn_key(m) for m in get_members(ldap, all_users)] == [dn_key(account["dn"])]
    assert [dn_key(m) for m in get_members(ldap, admins)] == [dn_key(account["dn"])]

    pso = read_entry(
        ldap,
        cn_dn(password_settings_container(ldap), layout.policy_name(customer.code)),
        ["msDS-MinimumPasswordLength", "msDS-PSOAppliesTo", "msDS-PasswordHistoryLength"],
    )
    assert texts(pso, "msDS-MinimumPasswordLength") == ["12"]
    assert texts(pso, "msDS-PasswordHistoryLength") == ["5"]
    assert [dn_key(t) for t in texts(pso, "msDS-PSOAppliesTo")] == [dn_key(all_users)]

    suffixes = [s.lower() for s in list_upn_suffixes(ldap, samba_dc.base_dn)]
    for domain in customer.domains.all():
        assert suffixes.count(domain.name) == 1


def test_the_administrator_can_bind_with_the_password(acme, samba_dc):
    customer, admin = acme
    provision(customer, admin)

    assert verify_password(samba_dc, admin.upn, ADMIN_PASSWORD)
    assert not verify_password(samba_dc, admin.upn, ADMIN_PASSWORD + "x")


def test_a_password_that_breaks_the_policy_is_refused_by_ad(acme, ldap):
    customer, admin = acme
    provision(customer, admin)
    account = find_user_by_guid(ldap, admin.directory_guid)

    # Long and complex enough for the domain's default policy, too short for the customer's.
    with pytest.raises(PasswordRejectedError):
        set_password(ldap, account["dn"], "Short-pw-9x")
    set_password(ldap, account["dn"], "Long-enough-pw-9x")


def test_a_refused_password_fails_the_job_in_plain_words_and_is_erased(acme):
    customer, admin = acme
    provision(customer, admin)

    job = run(
        user_job(kind=JobKind.RESET_PASSWORD, actor=SYSTEM, user=admin, password="Short-pw-9x")
    )

    assert job.state == JobState.FAILED
    assert "does not meet the password policy" in job.error
    assert job.secret == ""


def test_deprovision_and_delete_runs_as_one_chain_and_deletes_when_the_directory_is_clean(
    acme, ldap
):
    customer, admin = acme
    provision(customer, admin)
    Organisation.objects.filter(pk=customer.pk).update(status=Status.ACTIVE)
    customer.refresh_from_db()
    ou = customer.directory_guid
    assert ou is not None and read_entry(ldap, ou) is not None
    deprovision_job = deprovision_and_delete(
        actor=SYSTEM, organisation=customer, confirm_code=customer.code
    )
    suspend_job = Job.objects.get(organisation=customer, kind=JobKind.SUSPEND_ORGANISATION)
    assert run(suspend_job).state == JobState.SUCCEEDED, suspend_job.error
    customer.refresh_from_db()
    assert customer.status == Status.DEPROVISIONING
    deprovision_job = run(deprovision_job)
    assert deprovision_job.state == JobState.SUCCEEDED, deprovision_job.error
    customer.refresh_from_db()
    assert customer.status == Status.DELETED
    assert customer.deleted_at is not None
    assert read_entry(ldap, ou) is None


def test_the_provider_is_provisioned_like_a_reseller_and_its_admins_get_accounts(
    tenants, directory_settings, ldap, test_ou
):
    provider = tenants.organisation(name="Test provider", is_reseller=True)
    admin = tenants.user(provider, first_name="Pat")
    job = run(provision_organisation(actor=SYSTEM, organisation=provider))
    assert job.state == JobState.SUCCEEDED, job.error
    provider.refresh_from_db()
    admin.refresh_from_db()
    assert provider.status == Status.ACTIVE
    provider_dn = ou_dn(test_ou, provider.code)
    ous = subtree(ldap, test_ou, "organizationalUnit")
    assert sorted(dn_key(e["dn"]) for e in ous) == sorted(
        dn_key(dn)
        for dn in [test_ou, provider_dn, ou_dn(provider_dn, "Users"), ou_dn(provider_dn, "Groups")]
    )
    account = find_user_by_guid(ldap, admin.directory_guid)
    assert account is not None
    assert dn_key(parent_of(account["dn"])) == dn_key(ou_dn(provider_dn, "Users"))
