"""When the domain already has a user's username as a logon name, AD gives the account a
numbered one; the portal records the name AD chose and shows it on the user's page."""

import pytest
from django.urls import reverse

from core.actors import SYSTEM
from core.jobs import JobKind
from core.models import JobState
from customers.actions.lifecycle import provision_organisation
from customers.actions.users import user_job
from directory import UserSpec, ensure_user, find_user_by_guid
from directory.entry import text
from tests.provisioning.helpers import run

pytestmark = [pytest.mark.directory, pytest.mark.django_db]


@pytest.fixture
def customer(tenants, directory_settings):
    org = tenants.customer()
    tenants.user(org, is_admin=True)
    assert run(provision_organisation(actor=SYSTEM, organisation=org)).state == "succeeded"
    org.refresh_from_db()
    return org


def test_the_logon_name_ad_chose_on_a_collision_is_recorded_and_shown(
    customer, ldap, tenants, test_ou, login
):
    taken = tenants.unique("c")
    ensure_user(
        ldap,
        test_ou,
        UserSpec(
            upn=f"{taken}@elsewhere.example",
            sam_account_name=taken,
            given_name="Someone",
            surname="Else",
            display_name="Someone Else",
        ),
    )
    person = tenants.user(customer, username=taken)

    job = run(user_job(kind=JobKind.CREATE_USER, actor=SYSTEM, user=person))

    assert job.state == JobState.SUCCEEDED, job.error
    person.refresh_from_db()
    chosen = text(find_user_by_guid(ldap, person.directory_guid), "sAMAccountName")
    assert chosen.lower() != taken.lower()
    assert person.directory_sam_account_name == chosen
    assert person.logon_name_differs
    viewer = tenants.user(customer.parent, role="Reseller Admin")
    html = login(viewer).get(reverse("users:detail", args=[person.pk])).content.decode()
    assert "data-logon-name" in html and chosen in html
    assert f"{taken} was already taken in the domain" in html


def test_a_user_who_got_their_own_name_shows_no_other(customer, tenants, login):
    person = customer.users.get()

    person.refresh_from_db()

    assert person.directory_sam_account_name == person.username
    assert not person.logon_name_differs
    viewer = tenants.user(customer.parent, role="Reseller Admin")
    html = login(viewer).get(reverse("users:detail", args=[person.pk])).content.decode()
    assert "data-logon-name" not in html
