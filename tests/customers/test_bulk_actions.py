"""Bulk actions on the Customers and Users lists: each ticked row goes through its own
action as the viewer; what the viewer may not do is refused and named, never done."""

import csv
import io

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from core.jobs import JobKind
from core.models import Job
from customers.models import Organisation, Service, Status, User, UserService
from tests.fixtures.catalogue import subscribe, vpn_service

pytestmark = pytest.mark.django_db


def said(response) -> tuple[str, str]:
    """(what was done, what was refused) as the next page shows them."""
    done, refused = "", ""
    for message in get_messages(response.wsgi_request):
        if message.level_tag == "success":
            done += str(message)
        elif message.level_tag == "error":
            refused += str(message)
    return done, refused


def status_of(organisation) -> str:
    return Organisation.objects.get(pk=organisation.pk).status


@pytest.fixture
def active(cast):
    Organisation.objects.filter(
        pk__in=[cast.customer.pk, cast.deep_customer.pk, cast.customer2.pk]
    ).update(status=Status.ACTIVE)
    cast.refresh()
    return cast


def bulk(client, name, action, selected, **extra):
    next_url = reverse(f"{name}:list") + "?page=1"
    return client.post(
        reverse(f"{name}:bulk"),
        {"action": action, "selected": [row.pk for row in selected], "next": next_url, **extra},
    )


def test_suspend_the_ticked_customers_and_refuse_what_cannot_be_done(active, login):
    cast = active
    response = bulk(
        login(cast.reseller_admin),
        "customers",
        "suspend",
        # Sub Reseller is a draft (nothing to suspend); Customer Two is not in reach.
        [cast.customer, cast.deep_customer, cast.subreseller, cast.customer2],
    )
    assert response.status_code == 302
    assert response.url == reverse("customers:list") + "?page=1"  # back to the list as it was
    done, refused = said(response)
    assert done == "Suspended: Customer One, Deep Customer."
    assert "Sub Reseller (" in refused and "1 row (not found)" in refused
    assert "Customer Two" not in refused  # a foreign row is not named
    assert status_of(cast.customer) == status_of(cast.deep_customer) == Status.SUSPENDED
    assert status_of(cast.subreseller) == Status.DRAFT
    assert status_of(cast.customer2) == Status.ACTIVE
    suspended = Job.objects.filter(kind=JobKind.SUSPEND_ORGANISATION)
    assert set(suspended.values_list("organisation__code", flat=True)) == {"CONE", "CDEEP"}
    assert set(suspended.values_list("started_by", flat=True)) == {cast.reseller_admin.pk}

    response = bulk(login(cast.reseller_admin), "customers", "resume", [cast.customer])
    assert said(response)[0].endswith("Resumed: Customer One.")
    assert status_of(cast.customer) == Status.ACTIVE


def test_a_customer_admin_may_not_suspend_its_own_customer(active, login):
    cast = active
    response = bulk(login(cast.customer_admin), "customers", "suspend", [cast.customer])
    done, refused = said(response)
    assert done == ""
    assert refused.startswith("Refused: Customer One (You may not")
    assert status_of(cast.customer) == Status.ACTIVE


def test_export_the_ticked_customers_only(cast, login):
    response = bulk(
        login(cast.reseller_admin), "customers", "export", [cast.customer, cast.reseller]
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:2] == ["Full Name", "Code"]
    assert [row[1] for row in rows[1:]] == ["CONE", "RONE"]


def test_an_export_with_a_foreign_row_exports_nothing(cast, login):
    response = bulk(
        login(cast.reseller_admin), "customers", "export", [cast.customer, cast.customer2]
    )
    assert response.status_code == 302
    assert "nothing exported" in said(response)[1]


def test_disable_and_enable_the_ticked_users(active, login):
    cast = active
    client = login(cast.customer_admin)
    response = bulk(
        client, "users", "disable", [cast.end_user, cast.customer_admin, cast.customer2_admin]
    )
    done, refused = said(response)
    assert done == "Disabled: enduser."
    assert "cadmin (You cannot disable yourself.)" in refused
    assert "1 row (not found)" in refused
    assert not User.objects.get(pk=cast.end_user.pk).is_active
    assert User.objects.get(pk=cast.customer2_admin.pk).is_active
    assert Job.objects.filter(kind=JobKind.DISABLE_USER, user=cast.end_user).exists()
    assert said(bulk(client, "users", "enable", [cast.end_user]))[0].endswith("Enabled: enduser.")
    assert User.objects.get(pk=cast.end_user.pk).is_active


def test_the_help_desk_may_not_disable_users(active, login):
    cast = active
    refused = said(bulk(login(cast.help_desk), "users", "disable", [cast.end_user]))[1]
    assert refused.startswith("Refused: enduser (")
    assert User.objects.get(pk=cast.end_user.pk).is_active


def test_give_a_service_to_the_ticked_users_of_each_customer(active, login):
    cast = active
    subscribe(cast.reseller)
    vpn = subscribe(cast.customer)
    response = bulk(
        login(cast.provider_admin),
        "users",
        "assign",
        [cast.end_user, cast.help_desk, cast.customer2_admin],
        service=vpn_service().pk,
    )
    done, refused = said(response)
    assert done == "Given VPN: enduser, helpdesk."
    assert "c2admin (Customer Two does not have VPN)" in refused
    holders = UserService.objects.filter(subscription=vpn).values_list("user__username", flat=True)
    assert set(holders) == {"enduser", "helpdesk"}


def test_a_service_must_be_chosen_to_give(active, login):
    response = bulk(login(active.provider_admin), "users", "assign", [active.end_user])
    assert said(response)[1] == "Choose the service to give."
    retired = Service.objects.create(code="OLD", name="Old", is_active=False)
    response = bulk(
        login(active.provider_admin), "users", "assign", [active.end_user], service=retired.pk
    )
    assert said(response)[1] == "Choose the service to give."


def test_export_the_ticked_users(cast, login):
    response = bulk(login(cast.customer_admin), "users", "export", [cast.end_user, cast.help_desk])
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "Username"
    assert [row[0] for row in rows[1:]] == ["enduser", "helpdesk"]


def test_nothing_ticked_or_too_many_does_nothing_and_says_so(active, login):
    client = login(active.reseller_admin)
    response = client.post(reverse("customers:bulk"), {"action": "suspend"})
    assert said(response)[1] == "Tick one or more customers, then choose an action."
    too_many = [active.customer.pk, *range(10_000_000, 10_000_500)]
    response = client.post(reverse("customers:bulk"), {"action": "suspend", "selected": too_many})
    assert "nothing was done" in said(response)[1]
    assert status_of(active.customer) == Status.ACTIVE
    response = client.post(
        reverse("customers:bulk"), {"action": "delete", "selected": [active.customer.pk]}
    )
    assert response.status_code == 404  # not an action the list offers
