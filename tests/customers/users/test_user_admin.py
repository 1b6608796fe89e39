"""Creating and administering users, through the pages and the service functions."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.actors import SYSTEM
from core.credentials import decrypt_secret
from core.jobs import JobKind
from core.models import Job
from customers.actions import users as user_admin
from customers.models import Organisation, Status, User
from tests.fixtures.catalogue import customer_vpn

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-new-pass-7"


@pytest.fixture
def active_cast(cast):
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.ACTIVE)
    cast.refresh()
    return cast


def create_form(cast, **overrides):
    data = {
        "upn_local": "jane.doe",
        "domain": cast.customer.primary_domain.name,
        "username": "",
        "first_name": "Jane",
        "last_name": "Doe",
        "display_name": "",
        "email": "jane@example.com",
        "password": NEW_PASSWORD,
        "password_repeat": NEW_PASSWORD,
        "must_change_password": "on",
        "services": [customer_vpn(cast).pk],
    }
    data.update(overrides)
    return data


def test_a_customer_admin_creates_a_user_with_services(active_cast, login):
    cast = active_cast
    response = login(cast.customer_admin).post(
        reverse("users:create", args=[cast.customer.pk]), create_form(cast)
    )
    assert response.status_code == 302
    jane = User.objects.get(upn=f"jane.doe@{cast.customer.primary_domain.name}")
    assert jane.username == "jdoe"  # generated from the names
    assert jane.display_name == "Jane Doe"
    assert jane.must_change_password and not jane.is_admin
    assert jane.check_password(NEW_PASSWORD)
    assert list(jane.services.values_list("subscription__service__code", flat=True)) == ["VPN"]
    create, assign = Job.objects.filter(user=jane).order_by("pk")
    assert create.kind == JobKind.CREATE_USER
    assert decrypt_secret(create.secret) == NEW_PASSWORD
    assert NEW_PASSWORD not in str(create.payload)
    assert assign.kind == JobKind.ASSIGN_SERVICES


def test_the_password_is_checked_against_the_customers_policy(active_cast, login):
    cast = active_cast
    response = login(cast.customer_admin).post(
        reverse("users:create", args=[cast.customer.pk]),
        create_form(cast, password="short", password_repeat="short"),
    )
    assert response.status_code == 200
    assert "at least 8 characters" in response.content.decode()
    assert not User.objects.filter(upn__startswith="jane.doe@").exists()


def test_the_two_passwords_must_match(active_cast, login):
    cast = active_cast
    response = login(cast.customer_admin).post(
        reverse("users:create", args=[cast.customer.pk]),
        create_form(cast, password_repeat=NEW_PASSWORD + "x"),
    )
    assert "The two passwords differ." in response.content.decode()


def test_a_user_limit_is_enforced_when_creating_users(active_cast, login):
    cast = active_cast
    Organisation.objects.filter(pk=cast.customer.pk).update(user_limit=cast.customer.users.count())
    response = login(cast.customer_admin).post(
        reverse("users:create", args=[cast.customer.pk]), create_form(cast)
    )
    assert response.status_code == 200
    assert "reached its user limit" in response.content.decode()


def test_help_desk_resets_an_ordinary_users_password(active_cast, login):
    cast = active_cast
    response = login(cast.help_desk).post(
        reverse("users:reset_password", args=[cast.end_user.pk]),
        {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD, "must_change_password": "on"},
    )
    assert response.status_code == 302
    cast.end_user.refresh_from_db()
    assert cast.end_user.check_password(NEW_PASSWORD) and cast.end_user.must_change_password
    job = Job.objects.get(kind=JobKind.RESET_PASSWORD, user=cast.end_user)
    assert job.payload["must_change"] is True
    assert decrypt_secret(job.secret) == NEW_PASSWORD


def test_help_desk_cannot_reset_an_administrators_password(active_cast, login):
    cast = active_cast
    response = login(cast.help_desk).post(
        reverse("users:reset_password", args=[cast.customer_admin.pk]),
        {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
    )
    assert response.status_code == 403
    cast.customer_admin.refresh_from_db()
    assert not cast.customer_admin.check_password(NEW_PASSWORD)
    assert not Job.objects.filter(kind=JobKind.RESET_PASSWORD).exists()


def test_help_desk_cannot_unlock_an_administrator_but_can_unlock_a_user(active_cast, login):
    cast = active_cast
    client = login(cast.help_desk)
    assert client.post(reverse("users:unlock", args=[cast.customer_admin.pk])).status_code == 403
    assert client.post(reverse("users:unlock", args=[cast.end_user.pk])).status_code == 302
    assert Job.objects.get(kind=JobKind.UNLOCK_USER).user == cast.end_user


def test_a_foreign_user_is_not_found(active_cast, login):
    cast = active_cast
    client = login(cast.reseller2_admin)
    for name in ("users:detail", "users:edit", "users:reset_password", "users:delete"):
        assert client.get(reverse(name, args=[cast.end_user.pk])).status_code == 404
    assert client.post(reverse("users:disable", args=[cast.end_user.pk])).status_code == 404
    cast.end_user.refresh_from_db()
    assert cast.end_user.is_active


def test_disable_and_enable_record_jobs(active_cast):
    cast = active_cast
    job = user_admin.set_enabled(actor=cast.customer_admin, person=cast.end_user, enabled=False)
    assert job.kind == JobKind.DISABLE_USER and not cast.end_user.is_active
    job = user_admin.set_enabled(actor=cast.customer_admin, person=cast.end_user, enabled=True)
    assert job.kind == JobKind.ENABLE_USER


def test_an_admin_cannot_disable_or_delete_themselves(active_cast):
    from django.core.exceptions import ValidationError

    cast = active_cast
    me = cast.customer_admin
    with pytest.raises(ValidationError):
        user_admin.set_enabled(actor=me, person=me, enabled=False)
    with pytest.raises(ValidationError):
        user_admin.delete_user(actor=me, person=me)


def test_delete_needs_the_username_and_keeps_the_accounts_ids_in_the_job(active_cast, login):
    cast = active_cast
    url = reverse("users:delete", args=[cast.end_user.pk])
    client = login(cast.customer_admin)
    assert client.post(url, {"confirm": "wrong"}).status_code == 200
    assert User.objects.filter(pk=cast.end_user.pk).exists()
    assert client.post(url, {"confirm": "enduser"}).status_code == 302
    assert not User.objects.filter(pk=cast.end_user.pk).exists()
    job = Job.objects.get(kind=JobKind.DELETE_USER)
    assert job.payload["upn"] == cast.end_user.upn


def test_make_and_unmake_administrator(active_cast):
    cast = active_cast
    user_admin.set_administrator(actor=cast.customer_admin, person=cast.end_user, admin=True)
    cast.end_user.refresh_from_db()
    assert cast.end_user.is_admin
    job = user_admin.set_administrator(actor=cast.customer_admin, person=cast.end_user, admin=False)
    cast.end_user.refresh_from_db()
    assert not cast.end_user.is_admin
    assert job.kind == JobKind.SET_ADMINISTRATOR and job.payload["admin"] is False


def test_the_last_administrator_stays_one(active_cast):
    from django.core.exceptions import ValidationError

    cast = active_cast
    with pytest.raises(ValidationError, match="at least one administrator"):
        user_admin.set_administrator(
            actor=cast.reseller_admin, person=cast.customer_admin, admin=False
        )


def test_edit_applies_through_an_update_job(active_cast, login):
    cast = active_cast
    domain = cast.customer.primary_domain.name
    response = login(cast.customer_admin).post(
        reverse("users:edit", args=[cast.end_user.pk]),
        {
            "upn_local": "renamed",
            "domain": domain,
            "first_name": "En",
            "last_name": "User",
            "display_name": "En User",
            "email": "",
        },
    )
    assert response.status_code == 302
    cast.end_user.refresh_from_db()
    assert cast.end_user.upn == f"renamed@{domain}"
    assert Job.objects.filter(kind=JobKind.UPDATE_USER, user=cast.end_user).exists()


def test_users_list_shows_used_over_allowed(active_cast, login, django_assert_max_num_queries):
    cast = active_cast
    Organisation.objects.filter(pk=cast.customer.pk).update(user_limit=10)
    client = login(cast.customer_admin)
    with django_assert_max_num_queries(13):
        response = client.get(reverse("users:list"))
    assert "3 / 10" in response.content.decode()


def test_a_new_upn_moves_the_mail_address_with_it(active_cast):
    from customers.actions.assignments import give_service
    from customers.models import Plan, Service
    from tests.fixtures.catalogue import subscribe

    cast = active_cast
    mail = Service.objects.create(code="MAIL", name="Mail", service_type="mail_attributes")
    subscription = subscribe(cast.customer, plan=Plan.objects.create(service=mail, name="Std"))
    give_service(actor=SYSTEM, subscription=subscription, users=[cast.end_user])
    cast.end_user.refresh_from_db()
    new_upn = f"moved@{cast.customer.primary_domain.name}"
    user_admin.edit_user(actor=cast.customer_admin, person=cast.end_user, changes={"upn": new_upn})
    cast.end_user.refresh_from_db()
    assert cast.end_user.email == new_upn
    assert Job.objects.filter(kind=JobKind.ASSIGN_SERVICES, user=cast.end_user).count() == 2


PATH_WALKING_UPNS = ['a\\..\\b "x', 'say"hi', "back\\slash", "two words", ".lead", "trail.", "a..b"]


@pytest.mark.parametrize("local", PATH_WALKING_UPNS)
def test_a_upn_that_walks_paths_or_quotes_is_refused_on_the_upn_field(active_cast, login, local):
    """Issue 9, hole 10: the local part flowed into AD and home-folder paths unchecked."""
    cast = active_cast
    client = login(cast.customer_admin)
    response = client.post(
        reverse("users:create", args=[cast.customer.pk]), create_form(cast, upn_local=local)
    )
    assert response.status_code == 200
    assert "no spaces, quotes or backslashes" in str(response.context["form"].errors["upn_local"])
    response = client.post(
        reverse("users:edit", args=[cast.end_user.pk]),
        {
            "upn_local": local,
            "domain": cast.customer.primary_domain.name,
            "first_name": "End",
            "last_name": "User",
            "display_name": "",
            "email": "",
        },
    )
    assert response.status_code == 200
    assert "upn_local" in response.context["form"].errors
    assert not User.objects.filter(upn__startswith=local.lower()).exists()


def test_the_actions_refuse_a_path_walking_upn_on_the_upn_field(active_cast):
    cast = active_cast
    upn = f'a\\..\\b "x@{cast.customer.primary_domain.name}'
    with pytest.raises(ValidationError) as refused:
        user_admin.create_user(
            actor=cast.customer_admin, organisation=cast.customer, username="walker", upn=upn
        )
    assert "upn" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        user_admin.edit_user(actor=cast.customer_admin, person=cast.end_user, changes={"upn": upn})
    assert "upn" in refused.value.error_dict
    assert not User.objects.filter(username="walker").exists()
