"""An end user's dashboard: their services, their account, their password (issue 16, 10)."""

import uuid

import pytest
from django.urls import reverse

from core.models import Job
from customers.models import UserService
from tests.fixtures.catalogue import customer_vpn

pytestmark = pytest.mark.django_db


def dashboard_of(login, user) -> str:
    return login(user).get(reverse("dashboard")).content.decode()


def test_an_end_user_sees_the_services_they_hold(cast, login):
    UserService.objects.create(user=cast.end_user, subscription=customer_vpn(cast))

    page = dashboard_of(login, cast.end_user)

    services = page.split('aria-labelledby="your-services"', 1)[1]
    assert "VPN" in services and "Standard" in services


def test_an_end_user_without_services_is_told_so(cast, login):
    assert "You have no services yet" in dashboard_of(login, cast.end_user)


def test_an_end_user_sees_their_account_state_and_password_rules(cast, login):
    page = dashboard_of(login, cast.end_user)
    assert "Being set up" in page  # not in the directory yet
    assert "At least 8 characters" in page and "expires after 90 days" in page

    cast.end_user.directory_guid = uuid.uuid4()
    cast.end_user.save()
    page = dashboard_of(login, cast.end_user)
    assert "Being set up" not in page


def test_an_end_user_who_must_change_their_password_is_sent_to_do_it(cast, login):
    """The dashboard is not reached at all: the forced-change rule sends them to the page."""
    cast.end_user.must_change_password = True
    cast.end_user.save()

    response = login(cast.end_user).get(reverse("dashboard"))

    assert response.status_code == 302
    assert response["Location"] == reverse("users:my_password")


def test_an_end_user_is_told_when_a_change_is_on_its_way_to_the_directory(cast, login):
    Job.objects.create(
        kind="change_password",
        organisation=cast.customer,
        user=cast.end_user,
        target_label=str(cast.end_user),
        lock_key=f"user:{cast.end_user.pk}",
    )
    assert "data-account-pending" in dashboard_of(login, cast.end_user)


def test_an_end_user_is_offered_the_change_password_page(cast, login):
    page = dashboard_of(login, cast.end_user)
    account = page.split('aria-labelledby="your-account"', 1)[1]
    assert f'href="{reverse("users:my_password")}"' in account
    assert "Change my password" in account


def test_administrators_keep_their_counts_without_the_end_user_panel(cast, login):
    page = dashboard_of(login, cast.customer_admin)
    assert "data-self-service" not in page
    assert 'data-count="users"' in page
