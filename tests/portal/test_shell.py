"""Signing in and out, throttling, sessions that end, navigation and the context switcher."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from customers.models import Status

pytestmark = pytest.mark.django_db


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_it_signs_in_with_username_or_upn(cast, password):
    assert sign_in(Client(), "cadmin", password).status_code == 302
    assert sign_in(Client(), cast.customer_admin.upn.upper(), password).status_code == 302


def test_it_rotates_the_session_key_at_sign_in(cast, password):
    client = Client()
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    sign_in(client, "cadmin", password)
    assert client.session.session_key != before


def test_it_refuses_a_wrong_password_with_a_message(cast):
    response = sign_in(Client(), "cadmin", "wrong")
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode().lower()


def test_it_locks_out_after_repeated_failures_even_with_the_right_password(
    cast, password, settings
):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "cadmin", "wrong")
    response = sign_in(client, "cadmin", password)
    assert response.status_code == 429
    assert "Too many failed login attempts" in response.content.decode()


def test_a_disabled_users_session_ends_on_the_next_request(cast, login):
    client = login(cast.customer_admin)
    assert client.get(reverse("dashboard")).status_code == 200
    cast.customer_admin.is_active = False
    cast.customer_admin.save()
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_users_of_a_suspended_customer_cannot_sign_in_or_stay_signed_in(cast, login, password):
    client = login(cast.end_user)
    cast.customer.status = Status.SUSPENDED
    cast.customer.save()
    assert client.get(reverse("dashboard")).status_code == 302
    response = sign_in(Client(), "enduser", password)
    assert response.status_code == 200  # the form again, not a redirect into the portal


def test_anonymous_visitors_are_sent_to_the_login_page():
    response = Client().get(reverse("dashboard"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_navigation_shows_only_what_the_user_may_do(cast, login):
    reseller_page = login(cast.reseller_admin).get(reverse("dashboard")).content.decode()
    assert reverse("customers:list") in reseller_page
    end_user_page = login(cast.end_user).get(reverse("dashboard")).content.decode()
    assert reverse("customers:list") not in end_user_page
    assert reverse("provisioning:job_list") not in end_user_page


def test_the_dashboard_counts_the_users_own_subtree(cast, login):
    response = login(cast.reseller_admin).get(reverse("dashboard"))
    assert int(response.context["counts"]["total"]) == 4
    assert int(response.context["counts"]["resellers"]) == 2
    assert int(response.context["user_count"]) == 5


def test_the_context_switcher_acts_inside_a_visible_organisation(cast, login):
    client = login(cast.reseller_admin)
    response = client.post(reverse("switch_context"), {"organisation": cast.subreseller.pk})
    assert response.status_code == 302
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.context["acting_organisation"] == cast.subreseller
    assert int(dashboard.context["counts"]["total"]) == 2
    crumbs = [node.code for node in dashboard.context["hierarchy_breadcrumb"]]
    assert crumbs == ["RONE", "RSUB"]  # not the provider above the reseller's reach


def test_the_context_switcher_refuses_a_foreign_organisation(cast, login):
    client = login(cast.reseller_admin)
    response = client.post(reverse("switch_context"), {"organisation": cast.customer2.pk})
    assert response.status_code == 404
    assert client.get(reverse("dashboard")).context["acting_organisation"] == cast.reseller


def test_the_context_switcher_does_not_redirect_off_site(cast, login):
    client = login(cast.reseller_admin)
    response = client.post(
        reverse("switch_context"), {"organisation": "", "next": "https://evil.example/"}
    )
    assert response.url == reverse("dashboard")


def test_password_change_works_for_every_user(cast, login, password):
    client = login(cast.end_user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": password,
            "new_password1": "N3w-Pass-word!",
            "new_password2": "N3w-Pass-word!",
        },
    )
    assert response.status_code == 302
    cast.end_user.refresh_from_db()
    assert cast.end_user.check_password("N3w-Pass-word!")


def test_the_admin_is_for_provider_superusers_only(cast, login):
    assert login(cast.reseller_admin).get(reverse("admin:index")).status_code == 302
    cast.provider_admin.is_staff = cast.provider_admin.is_superuser = True
    cast.provider_admin.save()
    assert login(cast.provider_admin).get(reverse("admin:index")).status_code == 200


def test_the_menu_is_cached_per_user_and_follows_their_grants_and_language(cast, login):
    """The menu is rendered once per user, role grants, organisations and language, then
    read from the cache; a grant or revoke changes the key, so it never shows stale links."""
    from django.core.cache import cache

    from core.actors import SYSTEM
    from customers.actions.roles import grant_role, revoke_role
    from customers.models import Role, User
    from portal.context_processors import _nav_key

    client = login(cast.end_user)
    response = client.get(reverse("dashboard"))
    assert reverse("customers:list") not in response.content.decode()
    fresh = User.objects.get(pk=cast.end_user.pk)
    acting = response.context["acting_organisation"]
    with translation.override(response.context["LANGUAGE_CODE"]):
        key = _nav_key(fresh, acting, fresh.organisation)
    flags, _menu = cache.get(key)
    cache.set(key, (flags, '<ul id="from-the-cache"></ul>'))
    assert 'id="from-the-cache"' in client.get(reverse("dashboard")).content.decode()

    grant = grant_role(
        actor=SYSTEM,
        user=cast.end_user,
        organisation=cast.customer,
        role=Role.objects.get(name="Customer Admin"),
    )
    page = client.get(reverse("dashboard")).content.decode()
    assert reverse("customers:list") in page and 'id="from-the-cache"' not in page
    revoke_role(actor=cast.provider_admin, grant=grant)
    page = client.get(reverse("dashboard")).content.decode()
    assert reverse("customers:list") not in page

    german = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="de")
    assert german.context["nav_menu"] != client.get(reverse("dashboard")).context["nav_menu"]
