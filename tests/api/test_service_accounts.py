"""Service accounts: made by an admin to own API keys; never sign in to the browser; their
keys end or narrow the moment the account is disabled or loses its role."""

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from customers.actions.roles import revoke_role
from customers.models import Role, User
from portal.auth import UsernameOrUpnBackend
from tests.api.helpers import api_client
from tests.api.test_endpoints import post

pytestmark = pytest.mark.django_db


def make_account(client, cast):
    response = post(
        client,
        reverse("api:service-account-list", args=[cast.customer.pk]),
        {"name": "PSA Sync", "role": Role.objects.get(name="Help Desk").pk},
    )
    assert response.status_code == 201, response.json()
    return User.objects.get(pk=response.json()["id"])


def make_key(client, account, scopes=("view_users",)):
    response = post(
        client,
        reverse("api:service-account-key-create", args=[account.pk]),
        {
            "name": "psa",
            "scopes": list(scopes),
            "expires_at": (timezone.now() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 201, response.json()
    return Client(HTTP_AUTHORIZATION=f"Bearer {response.json()['key']}")


def test_an_admin_makes_a_service_account_that_owns_a_key(cast):
    admin = api_client(cast.customer_admin)
    account = make_account(admin, cast)
    assert account.is_service_account and not account.has_usable_password()
    assert account.username.startswith("svc-psa-sync")
    program = make_key(admin, account)
    listed = program.get(reverse("api:user-list")).json()["results"]
    assert cast.end_user.pk in {row["id"] for row in listed}
    # The key is no wider than the account's role: Help Desk creates no users.
    made = post(
        program,
        reverse("api:user-list"),
        {"organisation": cast.customer.pk, "upn": f"x@{cast.customer.primary_domain.name}"},
    )
    assert made.status_code in (403, 404)  # it may not even see the organisation to create in
    beyond = post(
        admin,
        reverse("api:service-account-key-create", args=[account.pk]),
        {
            "name": "wide",
            "scopes": ["add_users"],
            "expires_at": (timezone.now() + timedelta(days=30)).isoformat(),
        },
    )
    assert beyond.status_code == 400 and "scopes" in beyond.json()


def test_a_service_account_never_signs_in_to_the_browser(cast):
    account = make_account(api_client(cast.customer_admin), cast)
    account.set_password("Some-Password-123")
    account.save()
    request = RequestFactory().post(reverse("login"))
    assert not UsernameOrUpnBackend().user_can_authenticate(account)
    assert authenticate(request, username=account.username, password="Some-Password-123") is None
    client = Client()
    page = client.post(
        reverse("login"), {"username": account.username, "password": "Some-Password-123"}
    )
    assert page.status_code == 200 and "_auth_user_id" not in client.session


def test_disabling_the_account_or_taking_its_role_ends_or_narrows_its_keys_at_once(cast):
    admin = api_client(cast.customer_admin)
    account = make_account(admin, cast)
    program = make_key(admin, account)
    person = reverse("api:user-detail", args=[cast.end_user.pk])
    assert program.get(person).status_code == 200
    grant = account.role_grants.get()
    revoke_role(actor=cast.customer_admin, grant=grant)
    assert program.get(person).status_code == 404  # narrowed: it sees nobody now
    second = make_account(admin, cast)
    program = make_key(admin, second)
    assert program.get(person).status_code == 200
    disabled = post(admin, reverse("api:user-disable", args=[second.pk]))
    assert disabled.status_code in (200, 202)
    assert program.get(person).status_code == 401


def test_only_those_who_create_users_and_grant_roles_make_service_accounts(cast):
    url = reverse("api:service-account-list", args=[cast.customer.pk])
    assert api_client(cast.help_desk).get(url).status_code == 403
    assert api_client(cast.reseller2_admin).get(url).status_code == 404
    account = make_account(api_client(cast.customer_admin), cast)
    # Nobody else makes keys for a person; for a service account its managers do.
    response = post(
        api_client(cast.customer_admin),
        reverse("api:service-account-key-create", args=[cast.end_user.pk]),
        {"name": "x", "scopes": ["view_users"], "expires_at": timezone.now().isoformat()},
    )
    assert response.status_code == 404
    assert api_client(cast.customer_admin).get(url).json()["results"][0]["id"] == account.pk


def test_the_service_accounts_page_makes_an_account_and_a_key_shown_once(cast, login):
    client = login(cast.customer_admin)
    url = reverse("customers:service_accounts", args=[cast.customer.pk])
    role = Role.objects.get(name="Help Desk")
    page = client.post(url, {"name": "Shop", "role": role.pk})
    assert page.status_code == 200 and "svc-shop" in page.content.decode()
    account = User.objects.get(is_service_account=True)
    keys = reverse("customers:service_account_keys", args=[cast.customer.pk, account.pk])
    made = client.post(
        keys,
        {
            "name": "shop",
            "organisation": cast.customer.code,
            "scopes": ["view_users"],
            "expires_on": (timezone.localdate() + timedelta(days=5)).isoformat(),
        },
    )
    body = made.content.decode()
    assert made.status_code == 200 and "data-new-key" in body
    assert account.api_keys.count() == 1
    assert login(cast.help_desk).get(url).status_code == 403
