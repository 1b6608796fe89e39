"""Probing for names in other tenants learns only that a name is not available (issue 9,
hole 10): never who holds it, nor that "another customer" or "a user" does."""

import pytest
from django.urls import reverse

from customers.models import Organisation, Status
from tests.customers.helpers import url

pytestmark = pytest.mark.django_db

REVEALING = ("already", "belongs", "another customer", "Customer One", "Reseller One")


def assert_only_unavailable(messages: list[str], value: str) -> None:
    text = " ".join(str(m) for m in messages)
    assert f"{value} is not available" in text
    assert not any(word in text for word in REVEALING), text


def test_a_customer_admin_probing_a_foreign_username_learns_only_not_available(cast, login):
    Organisation.objects.filter(pk=cast.customer2.pk).update(status=Status.ACTIVE)
    cast.refresh()
    client = login(cast.customer2_admin)
    response = client.post(
        reverse("users:create", args=[cast.customer2.pk]),
        {
            "upn_local": "someone",
            "domain": cast.customer2.primary_domain.name,
            "username": cast.customer_admin.username,
            "first_name": "Probe",
            "last_name": "Probe",
            "password": "Probe-pass-4711",
            "password_repeat": "Probe-pass-4711",
        },
    )
    assert response.status_code == 200
    assert_only_unavailable(
        response.context["form"].errors["username"], cast.customer_admin.username
    )


def test_a_reseller_probing_a_foreign_customer_code_or_domain_learns_only_not_available(
    cast, login
):
    client = login(cast.reseller2_admin)
    response = client.post(
        url("create"),
        {"parent": cast.reseller2.pk, "name": "Probe", "code": cast.customer.code},
    )
    assert response.status_code == 200
    assert_only_unavailable(response.context["form"].errors["code"], cast.customer.code)
    taken = cast.customer.primary_domain.name
    response = client.post(url("domains", cast.customer2.pk), {"name": taken})
    assert_only_unavailable(response.context["form"].errors["name"], taken)
