"""Two-factor sign-in: who must, the code after the password, recovery codes, removal, the
administrators' reset, and the organisation setting that holds on its whole subtree."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.credentials import decrypt_secret
from customers.actions import two_factor
from customers.models import Organisation
from tests.customers.helpers import edit_data

pytestmark = pytest.mark.django_db

VERIFY = reverse("two_factor_verify")
ENROL = reverse("users:my_two_factor_enrol")
PAGE = reverse("users:my_two_factor")
# Each includes the session's row (customers.UserSession: an ended session signs out).
VERIFY_PAGE_QUERIES = 7
STATUS_PAGE_QUERIES = 10
MY_SERVICES_QUERIES = 7


def code_for(key: str, steps_ahead: int = 0) -> str:
    """What an authenticator app with ``key`` shows now (or ``steps_ahead`` 30-second steps
    later, still inside the device's tolerance of one step)."""
    totp = TOTP(bytes.fromhex(key), digits=6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def fresh_code(device: TOTPDevice) -> str:
    """The next code the device has not accepted yet (a used step cannot be replayed)."""
    device.refresh_from_db()
    now = TOTP(device.bin_key).t()
    return code_for(device.key, max(0, device.last_t + 1 - now))


def wrong_code(key: str) -> str:
    right = {code_for(key, offset) for offset in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


def enrol(person) -> tuple[TOTPDevice, list[str]]:
    key = two_factor.new_authenticator_key()
    codes = two_factor.enrol_authenticator(actor=person, person=person, key=key, code=code_for(key))
    return two_factor.authenticator(person), codes


def forget_failures(person) -> None:
    """As if the wait after a wrong code were over."""
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=person).update(throttling_failure_timestamp=None)


def require_at(organisation: Organisation) -> None:
    Organisation.objects.filter(pk=organisation.pk).update(require_two_factor=True)


def signed_in(user) -> Client:
    """Signed in with the password only (the session's code step still to come)."""
    client = Client()
    client.force_login(user, backend="portal.auth.UsernameOrUpnBackend")
    return client


def verified(user) -> Client:
    """Signed in with the password and a code from a newly set up app."""
    device = two_factor.authenticator(user) or enrol(user)[0]
    client = signed_in(user)
    assert client.post(VERIFY, {"code": fresh_code(device)}).status_code == 302
    return client


# --- Who must ---------------------------------------------------------------------------


def test_everyone_who_can_change_another_account_counts_and_an_end_user_does_not(cast):
    for person in (cast.provider_admin, cast.reseller_admin, cast.customer_admin, cast.help_desk):
        assert two_factor.may_change_accounts(person), person.username
    assert not two_factor.may_change_accounts(cast.end_user)


def test_a_requirement_holds_on_the_whole_subtree_below_it(cast):
    require_at(cast.reseller)
    assert two_factor.requirement_source(cast.deep_customer) == cast.reseller
    assert two_factor.requirement_source(cast.customer) == cast.reseller
    assert two_factor.requirement_source(cast.customer2) is None
    assert two_factor.inherited_requirement(cast.customer) == cast.reseller
    assert two_factor.inherited_requirement(cast.reseller) is None
    assert two_factor.must_use_two_factor(cast.customer_admin)
    assert two_factor.must_use_two_factor(cast.help_desk)
    assert two_factor.must_use_two_factor(cast.subreseller_admin)
    assert not two_factor.must_use_two_factor(cast.end_user)
    assert not two_factor.must_use_two_factor(cast.customer2_admin)
    assert not two_factor.must_use_two_factor(cast.provider_admin)


def test_the_customer_page_says_where_the_requirement_comes_from(cast, login):
    require_at(cast.reseller)
    client = login(cast.provider_admin)
    page = client.get(reverse("customers:detail", args=[cast.customer.pk])).content.decode()
    assert "Required for administrators (set by Reseller One)" in page
    page = client.get(reverse("customers:detail", args=[cast.customer2.pk])).content.decode()
    assert "Not required" in page


def test_a_descendant_cannot_switch_off_what_an_ancestor_requires(cast):
    require_at(cast.reseller)
    Organisation.objects.filter(pk=cast.customer.pk).update(require_two_factor=False)
    client = verified(cast.customer_admin)
    page = client.get(reverse("customers:edit", args=[cast.customer.pk]))
    field = page.context["form"]["require_two_factor"]
    assert field.field.disabled and field.value() is True
    assert "Required by Reseller One" in page.content.decode()
    # Posting it unticked changes nothing: a disabled field keeps its initial value, and an
    # inherited one is not written on the descendant at all.
    response = client.post(
        reverse("customers:edit", args=[cast.customer.pk]), edit_data(cast.customer)
    )
    assert response.status_code == 302
    cast.customer.refresh_from_db()
    assert cast.customer.require_two_factor is False
    assert two_factor.requirement_source(cast.customer) == cast.reseller


def test_an_organisation_that_no_ancestor_binds_switches_it_on_and_off_itself(cast, login):
    client = login(cast.customer_admin)
    edit = reverse("customers:edit", args=[cast.customer.pk])
    assert not client.get(edit).context["form"].fields["require_two_factor"].disabled
    client.post(edit, edit_data(cast.customer, require_two_factor="on"))
    cast.customer.refresh_from_db()
    assert cast.customer.require_two_factor is True
    client.post(edit, edit_data(cast.customer))
    cast.customer.refresh_from_db()
    assert cast.customer.require_two_factor is False


# --- Sign-in ----------------------------------------------------------------------------


def test_after_the_password_a_user_with_an_app_reaches_nothing_but_the_code_page(cast):
    device, _codes = enrol(cast.end_user)
    client = signed_in(cast.end_user)
    response = client.get(reverse("users:my_services"))
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fusers%2Fme%2F"
    assert client.get(reverse("users:my_password")).status_code == 302
    assert client.get(VERIFY).status_code == 200
    # Static files still come through (a 404 here: the test client serves none).
    assert client.get("/static/canopy/canopy.css").status_code != 302

    answer = client.post(VERIFY, {"code": fresh_code(device), "next": "/users/me/"})
    assert answer.status_code == 302 and answer["Location"] == "/users/me/"
    assert client.get(reverse("users:my_services")).status_code == 200


def test_a_wrong_code_is_refused_and_the_next_try_must_wait(cast):
    device, _codes = enrol(cast.end_user)
    client = signed_in(cast.end_user)
    refused = client.post(VERIFY, {"code": wrong_code(device.key)})
    assert refused.status_code == 200
    assert refused.context["form"].errors["code"]
    # Right at once after a wrong one: still refused, the device makes it wait.
    throttled = client.post(VERIFY, {"code": fresh_code(device)})
    assert "Too many wrong codes" in throttled.content.decode()
    assert client.get("/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_each_wrong_code_doubles_the_wait(cast):
    device, _codes = enrol(cast.end_user)
    for _ in range(3):
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
        with pytest.raises(ValidationError):
            two_factor.check_code(cast.end_user, wrong_code(device.key))
    device.refresh_from_db()
    assert device.throttling_failure_count == 3
    allowed, details = device.verify_is_allowed()
    assert not allowed and details["failure_count"] == 3


def test_a_recovery_code_signs_in_once(cast):
    _device, codes = enrol(cast.end_user)
    assert len(codes) == two_factor.RECOVERY_CODE_COUNT
    first = signed_in(cast.end_user)
    answer = first.post(VERIFY, {"code": codes[0].lower()})
    assert answer.status_code == 302
    assert first.get("/").status_code == 200
    assert two_factor.recovery_codes_left(cast.end_user) == two_factor.RECOVERY_CODE_COUNT - 1

    second = signed_in(cast.end_user)
    again = second.post(VERIFY, {"code": codes[0]})
    assert again.status_code == 200 and again.context["form"].errors["code"]


def test_recovery_codes_are_stored_as_digests_never_as_the_codes(cast):
    _device, codes = enrol(cast.end_user)
    tokens = StaticToken.objects.filter(device__user=cast.end_user)
    stored = set(tokens.values_list("token", flat=True))
    plain = {code.replace("-", "") for code in codes}
    assert len(stored) == len(codes)
    assert not stored & plain
    assert not any(p in s or s in p for s in stored for p in plain)


def test_new_recovery_codes_replace_the_old_ones(cast):
    _device, old = enrol(cast.end_user)
    new = two_factor.regenerate_recovery_codes(actor=cast.end_user, person=cast.end_user)
    assert set(new).isdisjoint(old)
    with pytest.raises(ValidationError):
        two_factor.check_code(cast.end_user, old[0])
    forget_failures(cast.end_user)
    assert two_factor.check_code(cast.end_user, new[0]) is not None


def test_the_page_makes_new_recovery_codes_and_shows_them_once(cast):
    device, _codes = enrol(cast.end_user)
    client = signed_in(cast.end_user)
    client.post(VERIFY, {"code": fresh_code(device)})
    page = client.get(PAGE)
    assert page.context["enrolled"] and page.context["codes_left"] == 10
    shown = client.post(reverse("users:my_recovery_codes"))
    assert shown.status_code == 200 and len(shown.context["codes"]) == 10
    assert two_factor.check_code(cast.end_user, shown.context["codes"][3])


def test_who_must_but_has_no_app_is_confined_to_enrolment_until_it_is_done(cast):
    require_at(cast.provider)
    client = signed_in(cast.customer_admin)
    for name in ("dashboard", "users:list", "users:my_password", "customers:list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"] == ENROL, name
    assert client.post(reverse("users:my_recovery_codes")).status_code == 302
    page = client.get(ENROL)
    assert page.status_code == 200 and page.context["required"]
    assert "<svg" in page.content.decode()
    key = decrypt_secret(client.session["two_factor_pending_key"])

    wrong = client.post(ENROL, {"code": wrong_code(key)})
    assert wrong.status_code == 200 and wrong.context["form"].errors["code"]
    assert not two_factor.has_two_factor(cast.customer_admin)

    done = client.post(ENROL, {"code": code_for(key)})
    assert done.status_code == 200 and len(done.context["codes"]) == 10
    assert "two_factor_pending_key" not in client.session
    assert client.get(reverse("users:list")).status_code == 200


def test_sign_out_works_while_confined(cast):
    require_at(cast.provider)
    client = signed_in(cast.customer_admin)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")


def test_who_must_change_the_password_and_enrol_gets_enrolment_first_without_a_loop(cast):
    require_at(cast.provider)
    cast.customer_admin.must_change_password = True
    cast.customer_admin.save(update_fields=["must_change_password"])
    client = signed_in(cast.customer_admin)
    assert client.get("/").url == ENROL
    assert client.get(ENROL).status_code == 200


def test_an_end_user_may_enrol_of_their_own_accord_and_turn_it_off_with_a_code(cast):
    client = signed_in(cast.end_user)
    assert client.get("/").status_code == 200
    page = client.get(ENROL)
    assert page.status_code == 200 and not page.context["required"]
    key = decrypt_secret(client.session["two_factor_pending_key"])
    client.post(ENROL, {"code": code_for(key)})
    assert client.get(PAGE).context["enrolled"]

    refused = client.post(reverse("users:my_two_factor_remove"), {"code": wrong_code(key)})
    assert refused.status_code == 200 and refused.context["remove_form"].errors["code"]
    forget_failures(cast.end_user)
    device = two_factor.authenticator(cast.end_user)
    removed = client.post(reverse("users:my_two_factor_remove"), {"code": fresh_code(device)})
    assert removed.status_code == 302
    assert not two_factor.has_two_factor(cast.end_user)
    assert not StaticToken.objects.filter(device__user=cast.end_user).exists()
    assert client.get("/").status_code == 200


def test_it_cannot_be_turned_off_while_required(cast):
    device, _codes = enrol(cast.customer_admin)
    require_at(cast.customer)
    with pytest.raises(ValidationError):
        two_factor.remove_two_factor(
            actor=cast.customer_admin, person=cast.customer_admin, code=fresh_code(device)
        )
    assert two_factor.has_two_factor(cast.customer_admin)


def test_nobody_enrols_or_removes_for_someone_else(cast):
    key = two_factor.new_authenticator_key()
    with pytest.raises(PermissionDenied):
        two_factor.enrol_authenticator(
            actor=cast.customer_admin, person=cast.end_user, key=key, code=code_for(key)
        )
    with pytest.raises(PermissionDenied):
        two_factor.remove_two_factor(actor=cast.customer_admin, person=cast.end_user, code="1")


# --- The administrators' reset -----------------------------------------------------------


def reset(client, person):
    return client.post(reverse("users:reset_two_factor", args=[person.pk]))


def test_an_administrator_resets_a_lost_phone_and_the_user_enrols_again(cast, login):
    require_at(cast.customer)
    device, _codes = enrol(cast.customer_admin)
    victim = signed_in(cast.customer_admin)
    victim.post(VERIFY, {"code": fresh_code(device)})
    assert victim.get("/").status_code == 200

    detail = login(cast.reseller_admin).get(reverse("users:detail", args=[cast.customer_admin.pk]))
    assert "Reset two-factor sign-in" in detail.content.decode()
    response = reset(login(cast.reseller_admin), cast.customer_admin)
    assert response.status_code == 302
    assert not two_factor.has_two_factor(cast.customer_admin)
    # The session that gave a code from the removed app is no longer verified: the code page
    # finds no app and sends its owner to set up a new one.
    assert victim.get("/").url.startswith(VERIFY)
    assert victim.get(VERIFY).status_code == 302
    assert victim.get("/").url == ENROL


def test_the_reset_follows_may_act_on(cast, login):
    enrol(cast.customer_admin)
    enrol(cast.end_user)
    # Help Desk resets ordinary users, never an administrator (403); another reseller's
    # admin does not see the user (404); an end user sees nobody else (404).
    assert reset(login(cast.help_desk), cast.customer_admin).status_code == 403
    assert reset(login(cast.reseller2_admin), cast.customer_admin).status_code == 404
    assert reset(verified(cast.end_user), cast.customer_admin).status_code == 404
    assert two_factor.has_two_factor(cast.customer_admin)
    with pytest.raises(PermissionDenied):
        two_factor.reset_two_factor(actor=cast.help_desk, person=cast.customer_admin)
    assert reset(login(cast.help_desk), cast.end_user).status_code == 302
    assert not two_factor.has_two_factor(cast.end_user)


def test_nobody_resets_their_own_through_the_administrators_button(cast):
    enrol(cast.customer_admin)
    with pytest.raises(ValidationError):
        two_factor.reset_two_factor(actor=cast.customer_admin, person=cast.customer_admin)
    assert two_factor.has_two_factor(cast.customer_admin)


# --- What the pages cost ----------------------------------------------------------------


def test_the_two_factor_pages_cost_a_fixed_number_of_queries(cast, django_assert_num_queries):
    device, _codes = enrol(cast.end_user)
    client = signed_in(cast.end_user)
    # The code page and the status page: pinned, so a change that adds queries is seen.
    with django_assert_num_queries(VERIFY_PAGE_QUERIES):
        assert client.get(VERIFY).status_code == 200
    client.post(VERIFY, {"code": fresh_code(device)})
    with django_assert_num_queries(STATUS_PAGE_QUERIES):
        assert client.get(PAGE).status_code == 200


def test_a_page_costs_one_query_more_for_a_verified_session_and_none_without_an_app(
    cast, login, django_assert_num_queries
):
    plain = login(cast.end_user)
    with django_assert_num_queries(MY_SERVICES_QUERIES):
        plain.get(reverse("users:my_services"))
    enrol(cast.end_user)
    verified_client = verified(cast.end_user)
    # django-otp loads the session's app to know the session gave a code from it.
    with django_assert_num_queries(MY_SERVICES_QUERIES + 1):
        verified_client.get(reverse("users:my_services"))
