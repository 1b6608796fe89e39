"""Seat and user counts agree on every page and leave deleted organisations out."""

import re

import pytest
from django.urls import reverse

from customers.actions.limits import user_usage
from customers.models import Organisation, Status
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def shown(html: str, marker: str) -> str:
    match = re.search(rf"{marker}[^>]*>([^<]*)<", html)
    assert match, f"{marker} not on the page"
    return match.group(1)


@pytest.fixture
def deleted_customer(cast):
    """A customer of Reseller One with five users and a limit of 40, deleted."""
    gone = OrganisationFactory(name="Gone Ltd", code="GONE", parent=cast.reseller, user_limit=40)
    for n in range(5):
        UserFactory(username=f"gone{n}", organisation=gone)
    Organisation.objects.filter(pk=gone.pk).update(status=Status.DELETED)
    cast.refresh()
    return gone


def test_the_providers_users_header_summary_and_dashboard_agree(cast, login, deleted_customer):
    client = login(cast.provider_admin)
    client.post(reverse("switch_context"), {"organisation": cast.provider.pk})
    people = 8  # the cast's eight users; the deleted customer's five are left out
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert shown(dashboard, 'data-count="users"').strip() == str(people)
    header = client.get(reverse("users:list")).content.decode()
    assert shown(header, "data-usage").strip().startswith(f"· {people} / unlimited")
    summary = client.get(reverse("customers:detail", args=[cast.provider.pk])).content.decode()
    assert shown(summary, 'data-count="users"').strip() == f"{people} / unlimited"


def test_a_deleted_customer_gives_its_seats_back_to_its_reseller(cast, deleted_customer):
    Organisation.objects.filter(pk=cast.reseller.pk).update(user_limit=100)
    Organisation.objects.filter(pk=cast.customer.pk).update(user_limit=20)
    Organisation.objects.filter(pk=cast.subreseller.pk).update(user_limit=10)
    reseller = Organisation.objects.get(pk=cast.reseller.pk)
    assert str(user_usage(reseller)) == "31 / 100"  # 1 own user + 20 + 10; not Gone's 40
