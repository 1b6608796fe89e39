"""Moving a customer to another reseller moves its OU in AD; nothing is re-created."""

import pytest

from core.actors import SYSTEM
from core.jobs import JobKind
from core.models import JobState
from customers.actions.lifecycle import provision_organisation
from customers.actions.organisations import move_organisation
from customers.actions.users import user_job
from directory import get_members, read_entry
from directory.dn import dn_key, ou_dn, parent_of
from provisioning.job_plans import layout
from tests.fixtures.directory_tenants import ADMIN_PASSWORD
from tests.provisioning.helpers import run

pytestmark = [pytest.mark.directory, pytest.mark.django_db]


def provisioned(organisation):
    job = run(provision_organisation(actor=SYSTEM, organisation=organisation))
    assert job.state == JobState.SUCCEEDED, job.error
    organisation.refresh_from_db()
    return organisation


def test_a_customer_moved_to_another_reseller_keeps_its_ou_and_accounts(
    tenants, directory_settings, ldap, test_ou
):
    provider = provisioned(tenants.organisation(name="Test provider", is_reseller=True))
    first = provisioned(tenants.organisation(parent=provider, is_reseller=True))
    second = provisioned(tenants.organisation(parent=provider, is_reseller=True))
    customer = provisioned(tenants.organisation(parent=first))
    admin = tenants.user(customer, first_name="Ada")
    made = run(
        user_job(kind=JobKind.CREATE_USER, actor=SYSTEM, user=admin, password=ADMIN_PASSWORD)
    )
    assert made.state == JobState.SUCCEEDED, made.error
    admin.refresh_from_db()
    ou_guid, account_guid = customer.directory_guid, admin.directory_guid

    job = move_organisation(actor=SYSTEM, organisation=customer, new_parent=second)
    assert job.kind == JobKind.MOVE_ORGANISATION
    job = run(job)
    assert job.state == JobState.SUCCEEDED, job.error

    customer.refresh_from_db()
    assert customer.parent == second
    provider_dn = ou_dn(test_ou, provider.code)
    moved_dn = ou_dn(ou_dn(provider_dn, second.code), customer.code)
    entry = read_entry(ldap, ou_guid)
    assert dn_key(entry["dn"]) == dn_key(moved_dn)
    assert customer.directory_guid == ou_guid
    account = read_entry(ldap, account_guid)
    assert dn_key(parent_of(account["dn"])) == dn_key(ou_dn(moved_dn, layout.USERS_OU))
    all_users = ou_dn(moved_dn, layout.GROUPS_OU)
    members = get_members(ldap, f"CN={layout.all_users_group(customer.code)},{all_users}")
    assert [dn_key(m) for m in members] == [dn_key(account["dn"])]
    assert read_entry(ldap, ou_dn(ou_dn(provider_dn, first.code), customer.code)) is None
