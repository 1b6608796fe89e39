"""Portal passwords: a floor no organisation can lower, one way to change one's own password,
and a user who must change their password can do nothing else until they have."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from core.credentials import decrypt_secret
from core.jobs import JobKind
from core.models import Job
from customers.models import Organisation, Status

pytestmark = pytest.mark.django_db

NEW = "Tangerine-Lagoon-42"


def weakest_policy(organisation) -> None:
    """What an organisation's own admins may set: length 1, no complexity."""
    organisation.password_min_length = 1
    organisation.password_complexity = False
    organisation.save()


def change_password(client: Client, old: str, new: str, url_name: str = "password_change"):
    if url_name == "password_change":
        data = {"old_password": old, "new_password1": new, "new_password2": new}
    else:
        data = {"old_password": old, "password": new, "password_repeat": new}
    return client.post(reverse(url_name), data)


def sign_in(client: Client, login: str, password: str):
    return client.post(reverse("login"), {"username": login, "password": password})


# --- the floor ---------------------------------------------------------------------------------


@pytest.mark.parametrize("trivial", ["a", "password1234", "123456789012", "Short-1!"])
def test_an_organisation_that_lowers_its_policy_still_cannot_give_a_user_a_trivial_password(
    cast, login, trivial
):
    weakest_policy(cast.customer)
    client = login(cast.customer_admin)
    response = client.post(
        reverse("users:reset_password", args=[cast.end_user.pk]),
        {"password": trivial, "password_repeat": trivial, "must_change_password": ""},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    cast.end_user.refresh_from_db()
    assert not cast.end_user.check_password(trivial)


def test_an_organisation_that_lowers_its_policy_cannot_sign_in_with_password_a(cast, login):
    from customers.actions.users import reset_password

    weakest_policy(cast.customer)
    with pytest.raises(ValidationError, match="at least 12 characters"):
        reset_password(actor=cast.customer_admin, person=cast.end_user, password="a")
    cast.end_user.refresh_from_db()
    assert sign_in(Client(), "enduser", "a").status_code == 200  # the form again


def test_a_user_cannot_choose_a_common_password_for_themselves(cast, login, password):
    weakest_policy(cast.customer)
    response = change_password(login(cast.end_user), password, "password1234", "users:my_password")
    assert response.status_code == 200
    assert "too common" in " ".join(response.context["form"].errors["password"])


def test_a_password_close_to_the_users_name_is_refused(cast, login, password):
    weakest_policy(cast.customer)
    person = cast.end_user
    person.display_name = "Wilhelmina Zabriskie"
    person.save()
    response = change_password(login(person), password, "Wilhelmina-Zab", "users:my_password")
    assert response.status_code == 200
    assert "too similar" in " ".join(response.context["form"].errors["password"])


def test_a_strong_password_passes_the_floor_under_the_weakest_policy(cast, login, password):
    weakest_policy(cast.customer)
    response = change_password(login(cast.end_user), password, NEW, "users:my_password")
    assert response.status_code == 302
    cast.end_user.refresh_from_db()
    assert cast.end_user.check_password(NEW)


# --- Django's /password/ is the same change ---------------------------------------------------


def test_djangos_password_page_does_not_bypass_the_organisations_policy(cast, login, password):
    cast.customer.password_min_length = 16
    cast.customer.save()
    client = login(cast.end_user)
    response = change_password(client, password, "Fifteen-chars-1")  # long enough for the floor
    assert response.status_code == 200
    assert "at least 16 characters" in " ".join(response.context["form"].errors["new_password2"])
    cast.end_user.refresh_from_db()
    assert cast.end_user.check_password(password)


def test_djangos_password_page_does_not_accept_a_trivial_password(cast, login, password):
    weakest_policy(cast.customer)
    response = change_password(login(cast.end_user), password, "Zq8-vbnm")  # 8: too short
    assert response.status_code == 200
    cast.end_user.refresh_from_db()
    assert cast.end_user.check_password(password)


def test_djangos_password_page_sets_the_directory_password_too(cast, login, password):
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.ACTIVE)
    client = login(cast.end_user)
    response = change_password(client, password, NEW)
    assert response.status_code == 302
    cast.end_user.refresh_from_db()
    assert cast.end_user.check_password(NEW)
    job = Job.objects.get(kind=JobKind.CHANGE_PASSWORD)
    assert job.user == cast.end_user and decrypt_secret(job.secret) == NEW
    assert NEW not in job.secret and NEW not in str(job.payload)
    assert client.get(reverse("dashboard")).status_code == 200  # still signed in


def test_djangos_password_page_still_asks_for_the_current_password(cast, login):
    response = change_password(login(cast.end_user), "Not-my-password-1", NEW)
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]


def test_the_admins_own_password_page_leads_to_the_portals(cast, login):
    cast.provider_admin.is_staff = cast.provider_admin.is_superuser = True
    cast.provider_admin.save()
    response = login(cast.provider_admin).get("/admin/password_change/")
    assert response.status_code in (301, 302)
    assert response.url == reverse("password_change")


# --- must change password ---------------------------------------------------------------------


@pytest.fixture
def must_change(cast, password):
    """The end user after a help desk reset: signed in, told to change their password."""
    cast.end_user.must_change_password = True
    cast.end_user.save()
    client = Client()
    assert sign_in(client, "enduser", password).status_code == 302
    return client


@pytest.mark.parametrize(
    "url",
    [
        reverse("dashboard"),
        reverse("users:my_services"),
        reverse("users:list"),
        reverse("customers:list"),
        reverse("provisioning:job_list"),
        "/admin/",
    ],
)
def test_a_user_who_must_change_their_password_cannot_open_any_other_page(must_change, url):
    response = must_change.get(url)
    assert response.status_code == 302
    assert response.url == reverse("users:my_password")


def test_a_user_who_must_change_their_password_cannot_post_elsewhere(must_change, cast):
    response = must_change.post(reverse("switch_context"), {"organisation": ""})
    assert response.status_code == 302 and response.url == reverse("users:my_password")


def test_an_htmx_request_of_a_user_who_must_change_their_password_is_sent_there_too(
    must_change,
):
    response = must_change.get(reverse("context_choices"), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("users:my_password")


def test_a_user_who_must_change_their_password_may_change_it_sign_out_and_load_styles(
    must_change,
):
    assert must_change.get(reverse("users:my_password")).status_code == 200
    assert must_change.get(reverse("password_change")).status_code == 200
    assert must_change.get("/static/canopy/canopy.css").status_code != 302  # not sent away
    assert must_change.post(reverse("logout")).status_code == 302


def test_after_changing_their_password_the_user_may_go_anywhere_again(must_change, password):
    response = change_password(must_change, password, NEW, "users:my_password")
    assert response.status_code == 302
    assert must_change.get(reverse("dashboard")).status_code == 200


def test_the_admin_cannot_set_another_users_password_around_the_policy(cast, login):
    """Django admin's user password form would set the portal password alone: no
    organisation policy and no directory job. It leads to the portal's reset page."""
    cast.provider_admin.is_staff = cast.provider_admin.is_superuser = True
    cast.provider_admin.save()
    client = login(cast.provider_admin)
    url = f"/admin/customers/user/{cast.end_user.pk}/password/"
    chosen = "Portal-only-password-7319"
    response = client.post(url, {"password1": chosen, "password2": chosen})
    assert response.status_code == 302
    assert response.url == reverse("users:reset_password", args=[cast.end_user.pk])
    cast.end_user.refresh_from_db()
    assert not cast.end_user.check_password(chosen)


def test_the_admin_cannot_create_a_user_around_the_portals_create_user(cast, login):
    cast.provider_admin.is_staff = cast.provider_admin.is_superuser = True
    cast.provider_admin.save()
    response = login(cast.provider_admin).get("/admin/customers/user/add/")
    assert response.status_code == 403
