"""The customer page's Information tab: jobs, related resources, and the AD objects Canopy
made for a provisioned customer, with objectGUIDs that match the Samba DC."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from core.actors import SYSTEM
from customers.actions.roles import grant_role
from customers.models import Role
from directory import read_entry
from directory.dn import dn_key, parent_of
from directory.policy import password_policy_dn
from provisioning.engine.connection import directory_config
from provisioning.job_plans import layout
from tests.factories import UserFactory
from tests.provisioning.helpers import provision

pytestmark = pytest.mark.django_db


def page(client, organisation) -> str:
    answer = client.get(reverse("provisioning:customer_information", args=[organisation.pk]))
    assert answer.status_code == 200
    return answer.content.decode()


@pytest.mark.directory
def test_the_guids_shown_are_those_of_the_objects_in_the_directory(
    tenants, directory_settings, ldap, login
):
    customer = tenants.customer(name="Info Customer")
    admin = tenants.user(customer, first_name="Ada")
    grant_role(
        actor=SYSTEM,
        user=admin,
        organisation=customer,
        role=Role.objects.get(name="Customer Admin"),
    )
    provision(customer, admin)
    html = page(login(admin), customer)

    where = layout.Layout(directory_config())
    expected = {
        where.organisation_dn(customer): None,
        where.users_ou(customer): None,
        where.groups_ou(customer): None,
        where.all_users_dn(customer): None,
        where.admins_dn(customer): None,
        password_policy_dn(ldap, layout.policy_name(customer.code)): None,
    }
    for dn in expected:
        entry = read_entry(ldap, dn, ["objectGUID"])
        assert entry is not None, dn
        assert f'data-guid="{entry["guid"]}"' in html, dn
    for dn in list(expected)[:5]:
        assert dn in html or dn.replace('"', "&quot;") in html
    account = read_entry(ldap, admin.directory_guid, ["objectGUID"])
    assert account is not None and account["guid"] == admin.directory_guid
    assert f'data-guid="{admin.directory_guid}"' in html
    assert dn_key(parent_of(account["dn"])) == dn_key(where.users_ou(customer))
    assert "Provision" in html  # the provisioning job, in the Jobs section


def test_a_draft_shows_no_guids_and_help_desk_sees_no_accounts(cast, login):
    html = page(login(cast.help_desk), cast.customer)
    assert 'id="directory-objects"' in html and "not provisioned yet" in html
    assert "CONE-AllUsers" in html and "CONE-PasswordPolicy" in html
    assert 'data-guid=""' in html


def test_the_query_count_is_pinned_and_does_not_grow_with_the_customers_objects(
    cast, login, django_assert_num_queries
):
    client = login(cast.reseller_admin)
    url = reverse("provisioning:customer_information", args=[cast.customer.pk])
    client.get(url)
    # Session and user, the viewer's scope, the customer, its jobs, domains, subscriptions,
    # anchored objects and accounts, and the page shell's own.
    with django_assert_num_queries(13):
        client.get(url)
    for n in range(10):
        UserFactory(organisation=cast.customer, directory_guid=uuid.uuid4(), username=f"g{n}")
    with django_assert_num_queries(13):
        html = client.get(url).content.decode()
    assert html.count("User account") == 10
