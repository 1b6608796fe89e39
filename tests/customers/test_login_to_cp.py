"""Login to CP: who may act as whom, what the session looks like, what it may not touch, and
how history and the security log record it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from customers.models import (
    Organisation,
    OrganisationUserObjectPermission,
    SecurityEvent,
    SecurityEventKind,
    Status,
    User,
    UserSession,
)
from customers.views.acting import ACTING_AS_SESSION_KEY
from tests.customers.users.test_user_admin import create_form
from tests.fixtures.themes import reseller_theme, theme_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def active_cast(cast):
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.ACTIVE)
    cast.refresh()
    return cast


def start(client, cast, target=None, reason="Ticket 4711"):
    return client.post(
        reverse("customers:login_to_cp", args=[cast.customer.pk]),
        {"target": (target or cast.customer_admin).pk, "reason": reason},
    )


def test_a_reseller_admin_logs_in_as_the_customers_admin_and_every_page_says_so(cast, login):
    client = login(cast.reseller_admin)
    response = start(client, cast)
    assert response.status_code == 302
    page = client.get(reverse("dashboard")).content.decode()
    assert f"Acting as {cast.customer_admin} for Customer One" in page
    assert 'action="/acting/end/"' in page
    # The portal is the customer admin's: Reseller One's customers list is out of reach.
    assert client.get(reverse("customers:detail", args=[cast.reseller.pk])).status_code == 404
    assert client.get(reverse("customers:detail", args=[cast.customer.pk])).status_code == 200


def test_the_customer_page_offers_login_to_cp_in_a_new_tab(cast, login):
    page = login(cast.reseller_admin).get(reverse("customers:detail", args=[cast.customer.pk]))
    html = page.content.decode()
    assert 'id="login-to-cp"' in html and 'target="_blank"' in html
    assert "csrfmiddlewaretoken" in html
    # Not on one's own organisation's page, nor for help desk.
    own = login(cast.customer_admin).get(reverse("customers:detail", args=[cast.customer.pk]))
    assert 'id="login-to-cp"' not in own.content.decode()
    desk = login(cast.help_desk).get(reverse("customers:detail", args=[cast.customer.pk]))
    assert 'id="login-to-cp"' not in desk.content.decode()


def test_help_desk_is_refused_and_a_sibling_reseller_sees_nothing(cast, login):
    assert start(login(cast.help_desk), cast).status_code == 403
    assert start(login(cast.reseller2_admin), cast).status_code == 404
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.ACTING_STARTED).exists()


def test_nobody_acts_as_a_superuser(cast, login):
    User.objects.filter(pk=cast.customer_admin.pk).update(is_superuser=True)
    response = start(login(cast.provider_admin), cast)
    assert response.status_code == 403  # no administrator left that one may act as
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.ACTING_STARTED).exists()


def test_nobody_acts_as_an_account_with_more_rights_than_their_own(cast, login):
    # The customer's admin is also given the catalogue, which Reseller One's admin lacks.
    OrganisationUserObjectPermission.objects.create(
        user=cast.customer_admin,
        permission=Permission.objects.get(codename="manage_catalogue"),
        content_object=cast.customer,
    )
    response = start(login(cast.reseller_admin), cast)
    assert response.status_code == 403
    # The provider's admin holds that too: allowed.
    assert start(login(cast.provider_admin), cast).status_code == 302


def test_a_write_while_acting_is_recorded_as_the_actor_acting_as_the_target(active_cast, login):
    cast = active_cast
    client = login(cast.reseller_admin)
    start(client, cast)
    response = client.post(reverse("users:create", args=[cast.customer.pk]), create_form(cast))
    assert response.status_code == 302
    jane = User.objects.get(username="jdoe")
    record = jane.history.earliest()
    assert record.history_user == cast.customer_admin
    assert record.history_acting_actor == cast.reseller_admin
    # The customer's people read "your reseller" for Reseller One's staff, as everywhere.
    page = client.get(reverse("users:detail", args=[jane.pk])).content.decode()
    assert f"your reseller acting as {cast.customer_admin} (cadmin)" in page
    client.post(reverse("end_login_to_cp"))
    who = f"{cast.reseller_admin} (radmin) acting as {cast.customer_admin} (cadmin)"
    assert who in client.get(reverse("users:detail", args=[jane.pk])).content.decode()
    history = client.get(reverse("customers:history", args=[cast.customer.pk])).content.decode()
    assert who in history


def test_start_and_end_are_in_the_customers_security_log_for_its_admins(cast, login):
    client = login(cast.reseller_admin)
    start(client, cast, reason="Ticket 4711")
    response = client.post(reverse("end_login_to_cp"))
    assert response.url == reverse("customers:detail", args=[cast.customer.pk])
    assert "Acting as" not in client.get(reverse("dashboard")).content.decode()
    kinds = list(
        SecurityEvent.objects.filter(
            organisation=cast.customer,
            subject=cast.customer_admin,
            kind__in=[SecurityEventKind.ACTING_STARTED, SecurityEventKind.ACTING_ENDED],
        )
        .order_by("pk")
        .values_list("kind", "actor_id")
    )
    assert kinds == [
        (SecurityEventKind.ACTING_STARTED, cast.reseller_admin.pk),
        (SecurityEventKind.ACTING_ENDED, cast.reseller_admin.pk),
    ]
    log = login(cast.customer_admin).get(reverse("customers:security_log", args=[cast.customer.pk]))
    assert "Login to CP started" in log.content.decode()
    assert "Ticket 4711" in log.content.decode()


def test_acting_signs_nobody_in(cast, login):
    client = login(cast.reseller_admin)
    start(client, cast)
    client.get(reverse("dashboard"))
    cast.customer_admin.refresh_from_db()
    assert cast.customer_admin.last_login is None
    assert not UserSession.objects.filter(user=cast.customer_admin).exists()
    assert not SecurityEvent.objects.filter(
        kind=SecurityEventKind.SIGN_IN, subject=cast.customer_admin
    ).exists()


@pytest.mark.parametrize(
    "name",
    ["users:my_password", "password_change", "users:my_two_factor", "users:my_sessions"],
)
def test_the_targets_password_two_factor_and_sessions_are_out_of_reach(cast, login, name):
    client = login(cast.reseller_admin)
    start(client, cast)
    assert client.get(reverse(name)).status_code == 403


def test_the_targets_password_cannot_be_reset_while_acting(cast, login):
    client = login(cast.reseller_admin)
    start(client, cast)
    url = reverse("users:reset_password", args=[cast.customer_admin.pk])
    assert client.get(url).status_code == 403


def test_the_session_ends_when_its_time_runs_out(cast, login):
    client = login(cast.reseller_admin)
    start(client, cast)
    session = client.session
    state = session[ACTING_AS_SESSION_KEY]
    state["until"] = (timezone.now() - timedelta(seconds=1)).isoformat()
    session[ACTING_AS_SESSION_KEY] = state
    session.save()
    page = client.get(reverse("dashboard")).content.decode()
    assert "Acting as" not in page
    assert "The Login to CP session has ended." in page
    ended = SecurityEvent.objects.get(kind=SecurityEventKind.ACTING_ENDED)
    assert ended.detail == "The time allowed ran out."


def test_the_session_lasts_act_as_minutes(cast, login, settings):
    settings.ACT_AS_MINUTES = 5
    client = login(cast.reseller_admin)
    start(client, cast)
    until = client.session[ACTING_AS_SESSION_KEY]["until"]
    left = timezone.datetime.fromisoformat(until) - timezone.now()
    assert timedelta(minutes=4) < left <= timedelta(minutes=5)


def test_a_reason_is_required_when_the_provider_says_so(cast, login, settings):
    settings.ACT_AS_REASON_REQUIRED = True
    response = start(login(cast.reseller_admin), cast, reason="")
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.ACTING_STARTED).exists()


def test_a_revoked_grant_ends_the_session_on_the_next_request(cast, login):
    client = login(cast.reseller_admin)
    start(client, cast)
    OrganisationUserObjectPermission.objects.filter(user=cast.reseller_admin).delete()
    client.get(reverse("dashboard"))
    assert ACTING_AS_SESSION_KEY not in client.session
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.ACTING_ENDED).exists()


# --- Whose branding the acting person sees --------------------------------------------------


def brand(client) -> str:
    import re

    page = client.get(reverse("dashboard")).content.decode()
    return re.search(r"<span data-brand-name>([^<]*)</span>", page).group(1)


def test_a_reseller_admin_acting_for_a_customer_sees_their_own_brand(cast, login):
    reseller_theme(cast)
    customer_look = theme_of(cast.reseller, name="Customer Look", product_name="Customer Cloud")
    Organisation.objects.filter(pk=cast.customer.pk).update(active_theme=customer_look)
    assert brand(login(cast.customer_admin)) == "Customer Cloud"
    client = login(cast.reseller_admin)
    start(client, cast)
    assert brand(client) == "Reseller One Cloud"


def test_acting_for_a_reseller_shows_what_its_admin_sees(cast, login):
    sub_look = theme_of(cast.subreseller, name="Sub Look", product_name="Sub Cloud")
    Organisation.objects.filter(pk=cast.subreseller.pk).update(active_theme=sub_look)
    client = login(cast.provider_admin)
    response = client.post(
        reverse("customers:login_to_cp", args=[cast.subreseller.pk]),
        {"target": cast.subreseller_admin.pk, "reason": ""},
    )
    assert response.status_code == 302
    assert brand(client) == "Sub Cloud"
