"""Sessions: a user sees where they are signed in and ends sessions; an administrator ends
all of a user's sessions. Ending a session signs that browser out on its next request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.actions.sessions import SESSION_ROW_KEY, hash_session_key
from customers.models import SecurityEvent, SecurityEventKind, UserSession

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def browser(user, password, agent=FIREFOX, address="198.51.100.4") -> Client:
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    response = client.post(reverse("login"), {"username": user.username, "password": password})
    assert response.status_code == 302
    return client


def signed_in(client: Client) -> bool:
    response = client.get(reverse("users:my_services"))
    return response.status_code == 200


def test_a_sign_in_records_the_session_by_a_hash_of_its_key(cast, password):
    client = browser(cast.end_user, password)
    row = UserSession.objects.get(user=cast.end_user)
    key = client.session.session_key
    assert row.key_hash == hash_session_key(key) and key not in row.key_hash
    assert row.device == "Firefox 128 on Windows"
    assert row.ip_address == "198.51.100.4"
    assert client.session[SESSION_ROW_KEY] == row.pk


def test_my_sessions_lists_every_browser_and_marks_this_one(cast, password):
    laptop = browser(cast.end_user, password)
    browser(cast.end_user, password, agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)")
    page = laptop.get(reverse("users:my_sessions")).content.decode()
    assert page.count("<tr data-session=") == 2
    assert "Firefox 128 on Windows" in page and "iOS" in page
    assert page.count("data-current") == 1


def test_ending_another_session_signs_that_browser_out(cast, password):
    laptop = browser(cast.end_user, password)
    phone = browser(cast.end_user, password, agent="Phone")
    phone_row = UserSession.objects.get(pk=phone.session[SESSION_ROW_KEY])
    response = laptop.post(reverse("users:end_my_session", args=[phone_row.pk]))
    assert response.status_code == 302
    assert not signed_in(phone)
    assert signed_in(laptop)
    event = SecurityEvent.objects.get(kind=SecurityEventKind.SESSION_ENDED)
    assert (event.actor, event.subject) == (cast.end_user, cast.end_user)


def test_nobody_ends_their_current_session_or_someone_elses_this_way(cast, password):
    laptop = browser(cast.end_user, password)
    own = laptop.session[SESSION_ROW_KEY]
    assert laptop.post(reverse("users:end_my_session", args=[own])).status_code == 404
    other = browser(cast.help_desk, password)
    foreign = other.session[SESSION_ROW_KEY]
    assert laptop.post(reverse("users:end_my_session", args=[foreign])).status_code == 404
    assert signed_in(other) and signed_in(laptop)


def test_ending_all_other_sessions_keeps_this_one(cast, password):
    laptop = browser(cast.end_user, password)
    others = [browser(cast.end_user, password) for _ in range(2)]
    laptop.post(reverse("users:end_my_other_sessions"))
    assert signed_in(laptop)
    assert not any(signed_in(other) for other in others)
    assert UserSession.objects.filter(user=cast.end_user).count() == 1


def test_an_administrator_ends_every_session_of_a_user_they_may_act_on(cast, password, login):
    phone, laptop = browser(cast.end_user, password), browser(cast.end_user, password)
    admin = login(cast.customer_admin)
    response = admin.post(reverse("users:end_sessions", args=[cast.end_user.pk]))
    assert response.status_code == 302
    assert not signed_in(phone) and not signed_in(laptop)
    event = SecurityEvent.objects.get(kind=SecurityEventKind.SESSIONS_ENDED_BY_ADMIN)
    assert (event.actor, event.subject, event.organisation) == (
        cast.customer_admin,
        cast.end_user,
        cast.customer,
    )
    assert "2 sessions" in event.detail


def test_help_desk_may_not_end_sessions_and_nothing_ends(cast, password, login):
    phone = browser(cast.end_user, password)
    response = login(cast.help_desk).post(reverse("users:end_sessions", args=[cast.end_user.pk]))
    assert response.status_code == 403
    assert signed_in(phone)


def test_a_customer_admin_cannot_reach_the_sessions_of_staff_above(cast, password, login):
    target = browser(cast.reseller_admin, password)
    admin = login(cast.customer_admin)
    response = admin.post(reverse("users:end_sessions", args=[cast.reseller_admin.pk]))
    assert response.status_code == 404
    assert signed_in(target)


def test_the_user_page_offers_the_button_only_to_who_may_use_it(cast, login):
    url = reverse("users:detail", args=[cast.end_user.pk])
    assert "End all sessions" in login(cast.customer_admin).get(url).content.decode()
    assert "End all sessions" not in login(cast.help_desk).get(url).content.decode()


def test_last_seen_is_written_at_most_once_a_minute(cast, password, django_assert_num_queries):
    client = browser(cast.end_user, password)
    row = UserSession.objects.get(user=cast.end_user)
    client.get(reverse("users:my_services"))
    with django_assert_num_queries(MY_SERVICES_QUERIES):
        client.get(reverse("users:my_services"))
    UserSession.objects.filter(pk=row.pk).update(last_seen=timezone.now() - timedelta(minutes=2))
    with django_assert_num_queries(MY_SERVICES_QUERIES + 1):  # the one UPDATE
        client.get(reverse("users:my_services"))
    row.refresh_from_db()
    assert timezone.now() - row.last_seen < timedelta(seconds=30)


# Session, user, their organisation (may they still sign in?), the session's row, scope, the
# organisation's ancestors (navigation), the services held.
MY_SERVICES_QUERIES = 7


def test_a_password_change_keeps_the_session(cast, password):
    client = browser(cast.end_user, password)
    response = client.post(
        reverse("users:my_password"),
        {
            "old_password": password,
            "password": "Brand-new-Passw0rd!",
            "password_repeat": "Brand-new-Passw0rd!",
        },
    )
    assert response.status_code == 302
    assert signed_in(client)
    # Django gave the session a new key; the row learns its hash with the next last_seen.
    UserSession.objects.update(last_seen=timezone.now() - timedelta(minutes=2))
    assert signed_in(client)
    row = UserSession.objects.get(user=cast.end_user)
    assert row.key_hash == hash_session_key(client.session.session_key)


def test_signing_out_forgets_the_session(cast, password):
    client = browser(cast.end_user, password)
    client.post(reverse("logout"))
    assert not UserSession.objects.filter(user=cast.end_user).exists()


def test_a_session_from_before_the_record_is_adopted_not_signed_out(cast, password):
    client = browser(cast.end_user, password)
    session = client.session
    del session[SESSION_ROW_KEY]
    session.save()
    UserSession.objects.all().delete()
    assert signed_in(client)
    assert UserSession.objects.filter(user=cast.end_user).count() == 1


def test_the_action_refuses_whoever_may_not_act_on_the_user(cast, password):
    from django.core.exceptions import PermissionDenied

    from customers.actions.sessions import end_all_sessions

    browser(cast.customer_admin, password)
    with pytest.raises(PermissionDenied):
        end_all_sessions(actor=cast.help_desk, person=cast.customer_admin)
    with pytest.raises(PermissionDenied):
        end_all_sessions(actor=cast.reseller2_admin, person=cast.customer_admin)
    assert UserSession.objects.filter(user=cast.customer_admin).exists()


# Session, user, their organisation, the session's row, scope, ancestors (navigation), the
# sessions listed: however many there are.
MY_SESSIONS_QUERIES = 7


def test_my_sessions_keeps_its_query_count(cast, password, django_assert_num_queries):
    client = browser(cast.end_user, password)
    client.get(reverse("users:my_sessions"))
    with django_assert_num_queries(MY_SESSIONS_QUERIES):
        client.get(reverse("users:my_sessions"))
    for _ in range(3):
        browser(cast.end_user, password)
    with django_assert_num_queries(MY_SESSIONS_QUERIES):
        page = client.get(reverse("users:my_sessions")).content.decode()
    assert page.count("<tr data-session=") == 4
