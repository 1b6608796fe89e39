"""The Users list: search, multi-select status and service filters, tick boxes; the same
number of queries for 5 users or 200."""

import pytest
from django.urls import reverse

from customers.models import Organisation, Status, User, UserService
from tests.fixtures.catalogue import subscribe

pytestmark = pytest.mark.django_db


def usernames(response) -> list[str]:
    return [person.username for person in response.context["page"]]


def test_status_and_service_filters_are_multi_select(cast, login):
    vpn = subscribe(cast.customer)
    UserService.objects.create(user=cast.end_user, subscription=vpn)
    User.objects.filter(pk=cast.help_desk.pk).update(is_active=False)
    client = login(cast.customer_admin)
    listed = usernames(client.get(reverse("users:list"), {"status": ["disabled"]}))
    assert listed == ["helpdesk"]
    both = usernames(client.get(reverse("users:list"), {"status": ["enabled", "disabled"]}))
    assert both == ["cadmin", "enduser", "helpdesk"]
    response = client.get(reverse("users:list"), {"service": [vpn.service.pk], "q": "end"})
    assert usernames(response) == ["enduser"]
    page = response.content.decode()
    assert 'data-select-all="selected"' in page
    assert f'name="selected" value="{cast.end_user.pk}"' in page


@pytest.mark.parametrize("count", [5, 200])
def test_the_users_list_keeps_its_query_count(cast, login, count, django_assert_num_queries):
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.ACTIVE, user_limit=500)
    vpn = subscribe(cast.customer)
    UserService.objects.create(user=cast.end_user, subscription=vpn)
    User.objects.bulk_create(
        User(username=f"bulk{n:04}", organisation=cast.customer, display_name=f"Bulk {n}")
        for n in range(count)
    )
    client = login(cast.customer_admin)
    client.get(reverse("users:list"))  # warm the session
    # Session, user, organisation, scope, ancestors (breadcrumb), the service choices, the
    # users used / allowed, the page's count and rows; a ticked service is validated once.
    with django_assert_num_queries(USER_LIST_QUERIES):
        client.get(reverse("users:list"), {"q": "bulk", "status": ["enabled"], "page": 2})
    with django_assert_num_queries(USER_LIST_QUERIES + 1):
        client.get(reverse("users:list"), {"service": [vpn.service.pk]})


# Includes the session's row (an ended session signs out).
USER_LIST_QUERIES = 10


def test_the_customer_page_has_a_users_tab_linking_to_each_user(cast, login):
    client = login(cast.reseller_admin)
    summary = client.get(reverse("customers:detail", args=[cast.customer.pk])).content.decode()
    tab = reverse("customers:users", args=[cast.customer.pk])
    assert f'href="{tab}"' in summary
    response = client.get(tab)
    page = response.content.decode()
    for person in (cast.customer_admin, cast.help_desk, cast.end_user):
        assert f'href="{reverse("users:detail", args=[person.pk])}"' in page
    assert "c2admin" not in page and "radmin" not in page  # only this customer's own users
    assert 'aria-current="page"' in page


@pytest.mark.parametrize("count", [5, 200])
def test_the_users_tab_keeps_its_query_count(cast, login, count, django_assert_num_queries):
    User.objects.bulk_create(
        User(username=f"tab{n:04}", organisation=cast.customer) for n in range(count)
    )
    client = login(cast.customer_admin)
    client.get(reverse("dashboard"))
    # Session, user, organisation, the session's row, scope, ancestors (breadcrumb), the
    # customer, its users used / allowed, the page's count and rows.
    with django_assert_num_queries(10):
        client.get(reverse("customers:users", args=[cast.customer.pk]), {"page": 2})
