"""The security log: what is recorded, who reads it, and how staff above a customer appear
to that customer's people."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from core.actors import SYSTEM
from customers.actions.roles import grant_role, revoke_role
from customers.actions.security_events import record_security_event
from customers.actions.users import change_own_password, reset_password
from customers.models import Role, RoleGrant, SecurityEvent, SecurityEventKind

pytestmark = pytest.mark.django_db

WRONG = "Not-the-password-1"
NEW_PASSWORD = "Brand-new-Passw0rd!"


def sign_in(client: Client, login: str, password: str):
    return client.post(
        reverse("login"), {"username": login, "password": password}, REMOTE_ADDR="203.0.113.7"
    )


def events(kind):
    return SecurityEvent.objects.filter(kind=kind)


def test_a_sign_in_is_recorded_with_the_clients_address(cast, password):
    sign_in(Client(), cast.end_user.username, password)
    event = events(SecurityEventKind.SIGN_IN).get()
    assert (event.subject, event.actor, event.organisation) == (
        cast.end_user,
        cast.end_user,
        cast.customer,
    )
    assert event.ip_address == "203.0.113.7"


def test_a_wrong_password_is_recorded_for_the_account_without_the_password(cast):
    sign_in(Client(), cast.end_user.upn.upper(), WRONG)
    event = events(SecurityEventKind.SIGN_IN_FAILED).get()
    assert (event.subject, event.organisation, event.actor) == (cast.end_user, cast.customer, None)
    assert WRONG not in event.detail
    assert event.detail == ""


def test_an_unknown_name_is_kept_truncated_under_no_organisation(cast):
    typed = "nobody-" + "x" * 80
    sign_in(Client(), typed, WRONG)
    event = events(SecurityEventKind.SIGN_IN_FAILED).get()
    assert event.organisation is None and event.subject is None
    assert event.detail.startswith("nobody-") and len(event.detail) == 40
    assert WRONG not in event.detail


def test_a_lock_out_is_recorded_once(cast, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        sign_in(client, cast.help_desk.username, WRONG)
    lockout = events(SecurityEventKind.LOCKED_OUT).get()
    assert (lockout.subject, lockout.organisation) == (cast.help_desk, cast.customer)
    assert events(SecurityEventKind.SIGN_IN_FAILED).count() == settings.AXES_FAILURE_LIMIT + 2


def test_password_resets_and_changes_are_recorded(cast, password):
    reset_password(actor=cast.customer_admin, person=cast.end_user, password=NEW_PASSWORD)
    event = events(SecurityEventKind.PASSWORD_RESET).get()
    assert (event.actor, event.subject, event.organisation) == (
        cast.customer_admin,
        cast.end_user,
        cast.customer,
    )
    change_own_password(
        person=cast.help_desk, old_password=password, new_password="Another-Passw0rd!"
    )
    event = events(SecurityEventKind.PASSWORD_CHANGED).get()
    assert (event.actor, event.subject) == (cast.help_desk, cast.help_desk)
    assert not SecurityEvent.objects.filter(detail__contains="Passw0rd").exists()


def test_granting_and_revoking_a_role_are_recorded_on_the_organisation(cast):
    help_desk = Role.objects.get(name="Help Desk")
    grant = grant_role(
        actor=cast.customer_admin, user=cast.end_user, organisation=cast.customer, role=help_desk
    )
    revoke_role(actor=cast.customer_admin, grant=grant)
    granted = events(SecurityEventKind.ROLE_GRANTED).filter(subject=cast.end_user).get()
    revoked = events(SecurityEventKind.ROLE_REVOKED).get()
    for event in (granted, revoked):
        assert event.actor == cast.customer_admin
        assert event.organisation == cast.customer
        assert "Help Desk" in event.detail


def test_the_role_every_new_user_gets_is_not_an_event(cast):
    from tests.factories import UserFactory

    before = events(SecurityEventKind.ROLE_GRANTED).count()
    UserFactory(username="plain", organisation=cast.customer, role="User")
    assert events(SecurityEventKind.ROLE_GRANTED).count() == before


def test_two_factor_kinds_are_recorded_and_unknown_kinds_refused(cast):
    for kind in (
        SecurityEventKind.TWO_FACTOR_ENABLED,
        SecurityEventKind.TWO_FACTOR_DISABLED,
        SecurityEventKind.TWO_FACTOR_RESET,
        SecurityEventKind.TWO_FACTOR_RECOVERY_CODES_REGENERATED,
    ):
        event = record_security_event(kind=kind, actor=cast.end_user, subject=cast.end_user)
        assert event.organisation == cast.customer
    with pytest.raises(ValueError):
        record_security_event(kind="nonsense", actor=SYSTEM)


# --- the page ---------------------------------------------------------------------------------


def _log(client, organisation, **query):
    return client.get(reverse("customers:security_log", args=[organisation.pk]), query)


def test_admins_of_the_customer_and_above_read_its_log(cast, login):
    reset_password(actor=cast.customer_admin, person=cast.end_user, password=NEW_PASSWORD)
    record_security_event(
        kind=SecurityEventKind.PASSWORD_RESET, actor=SYSTEM, subject=cast.customer2_admin
    )
    for viewer in (cast.customer_admin, cast.reseller_admin, cast.provider_admin):
        page = _log(login(viewer), cast.customer).content.decode()
        assert "Password reset" in page and cast.end_user.username in page
        assert cast.customer2_admin.username not in page
    assert _log(login(cast.help_desk), cast.customer).status_code == 403
    assert _log(login(cast.reseller2_admin), cast.customer).status_code == 404


def test_failed_sign_ins_for_unknown_names_are_on_the_providers_log_only(cast, login):
    sign_in(Client(), "ghost-account", WRONG)
    assert "ghost-account" in _log(login(cast.provider_admin), cast.provider).content.decode()
    assert _log(login(cast.reseller_admin), cast.provider).status_code == 404
    assert "ghost-account" not in _log(login(cast.reseller_admin), cast.reseller).content.decode()


def test_the_log_filters_by_kind_and_pages(cast, login):
    for _ in range(55):
        record_security_event(
            kind=SecurityEventKind.SIGN_IN, actor=cast.end_user, subject=cast.end_user
        )
    record_security_event(
        kind=SecurityEventKind.PASSWORD_RESET, actor=cast.customer_admin, subject=cast.end_user
    )
    client = login(cast.customer_admin)
    page = _log(client, cast.customer, kind=SecurityEventKind.PASSWORD_RESET).content.decode()
    assert page.count('data-kind="password_reset"') == 1 and 'data-kind="sign_in"' not in page
    first = _log(client, cast.customer).content.decode()
    assert "Page 1 of 2" in first
    second = _log(client, cast.customer, page=2).content.decode()
    total = SecurityEvent.objects.filter(organisation=cast.customer).count()
    assert second.count("<tr data-kind=") == total - 50


def test_a_kind_that_does_not_exist_is_an_error_on_the_filter(cast, login):
    response = _log(login(cast.customer_admin), cast.customer, kind="bogus")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


# Session, user, the session's row, acting organisation, scope, the viewer's ancestors, the
# organisation, the page's count and rows.
LOG_QUERIES = 9


def test_the_log_keeps_its_query_count(cast, login, django_assert_num_queries):
    client = login(cast.reseller_admin)
    for _ in range(5):
        record_security_event(
            kind=SecurityEventKind.PASSWORD_RESET, actor=cast.provider_admin, subject=cast.end_user
        )
    _log(client, cast.customer)
    with django_assert_num_queries(LOG_QUERIES):
        _log(client, cast.customer)
    for _ in range(20):
        record_security_event(
            kind=SecurityEventKind.SIGN_IN, actor=cast.end_user, subject=cast.end_user
        )
    with django_assert_num_queries(LOG_QUERIES):
        _log(client, cast.customer)


# --- "your provider" --------------------------------------------------------------------------


def test_a_customers_admin_sees_staff_above_as_your_reseller_and_your_provider(cast, login):
    """Regression: the History and Roles tabs named the reseller's and provider's staff."""
    reseller_helper = Role.objects.get(name="Help Desk")
    grant_role(
        actor=cast.reseller_admin,
        user=cast.reseller_admin,
        organisation=cast.customer,
        role=reseller_helper,
    )
    reset_password(actor=cast.provider_admin, person=cast.end_user, password=NEW_PASSWORD)
    above = login(cast.reseller_admin)
    # Through the page, so the History records who granted it.
    response = above.post(
        reverse("customers:roles", args=[cast.customer.pk]),
        {"user": cast.end_user.pk, "role": reseller_helper.pk},
    )
    assert response.status_code == 302
    inside = login(cast.customer_admin)
    for name in ("roles", "history", "security_log"):
        page = inside.get(reverse(f"customers:{name}", args=[cast.customer.pk])).content.decode()
        assert cast.reseller_admin.username not in page, name
        assert str(cast.reseller_admin) not in page, name
        assert "your reseller" in page, name
    log = _log(inside, cast.customer).content.decode()
    assert "your provider" in log and cast.provider_admin.username not in log

    for name in ("roles", "history"):
        page = above.get(reverse(f"customers:{name}", args=[cast.customer.pk])).content.decode()
        assert str(cast.reseller_admin) in page, name
        assert "your reseller" not in page, name
    history = above.get(reverse("customers:history", args=[cast.customer.pk])).content.decode()
    assert f"({cast.reseller_admin.username})" in history
    assert RoleGrant.objects.filter(user=cast.reseller_admin, organisation=cast.customer).exists()


def test_an_action_done_through_a_page_records_the_address_it_came_from(cast, login):
    grant = cast.end_user.role_grants.get(organisation=cast.customer)
    admin = login(cast.customer_admin)
    response = admin.post(
        reverse("customers:role_revoke", args=[cast.customer.pk, grant.pk]),
        REMOTE_ADDR="192.0.2.44",
    )
    assert response.status_code == 302
    event = events(SecurityEventKind.ROLE_REVOKED).get()
    assert (event.actor, event.ip_address) == (cast.customer_admin, "192.0.2.44")
    # Outside a request (a job, a command) there is no address.
    reset_password(actor=SYSTEM, person=cast.end_user, password=NEW_PASSWORD)
    assert events(SecurityEventKind.PASSWORD_RESET).get().ip_address is None


def test_the_log_of_a_deleted_organisation_stays_for_the_provider(cast, login):
    from customers.models import Organisation

    record_security_event(
        kind=SecurityEventKind.PASSWORD_RESET, actor=SYSTEM, subject=cast.customer2_admin
    )
    Organisation.objects.filter(pk=cast.customer2.pk).delete()
    event = events(SecurityEventKind.PASSWORD_RESET).get()
    assert event.organisation is None and event.subject is None
    page = _log(login(cast.provider_admin), cast.provider).content.decode()
    assert 'data-kind="password_reset"' in page


def test_providers_and_resellers_find_their_own_log_in_the_navigation(cast, login):
    own = reverse("customers:security_log", args=[cast.reseller.pk])
    assert f'href="{own}"' in login(cast.reseller_admin).get("/").content.decode()
    for viewer in (cast.customer_admin, cast.help_desk, cast.end_user):
        assert "Security log" not in login(viewer).get("/").content.decode()


def test_two_factor_changes_are_recorded_by_the_two_factor_actions(cast):
    from django_otp.oath import TOTP

    from customers.actions import two_factor

    key = two_factor.new_authenticator_key()
    code = TOTP(bytes.fromhex(key), digits=two_factor.CODE_DIGITS).token()
    two_factor.enrol_authenticator(
        actor=cast.end_user, person=cast.end_user, key=key, code=f"{code:06d}"
    )
    two_factor.regenerate_recovery_codes(actor=cast.end_user, person=cast.end_user)
    two_factor.reset_two_factor(actor=cast.customer_admin, person=cast.end_user)
    kinds = list(
        SecurityEvent.objects.filter(subject=cast.end_user)
        .order_by("pk")
        .values_list("kind", "actor__username")
    )
    assert kinds[-3:] == [
        (SecurityEventKind.TWO_FACTOR_ENABLED, "enduser"),
        (SecurityEventKind.TWO_FACTOR_RECOVERY_CODES_REGENERATED, "enduser"),
        (SecurityEventKind.TWO_FACTOR_RESET, "cadmin"),
    ]


def test_a_sign_in_with_an_app_says_the_code_comes_next(cast, password):
    from django_otp.oath import TOTP

    from customers.actions import two_factor

    key = two_factor.new_authenticator_key()
    code = TOTP(bytes.fromhex(key), digits=two_factor.CODE_DIGITS).token()
    two_factor.enrol_authenticator(
        actor=cast.end_user, person=cast.end_user, key=key, code=f"{code:06d}"
    )
    sign_in(Client(), cast.end_user.username, password)
    event = events(SecurityEventKind.SIGN_IN).get()
    assert "two-factor code required" in event.detail
