"""Nobody takes over an account that holds more than they do (issue 9, hole 2).

A service role is never an administrator role, yet it can carry the reset permissions; what
counts is what a person holds, not what a flag or a role's name says.
"""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.jobs import JobKind
from core.models import Job
from customers.actions import users as user_admin
from customers.actions.roles import grant_role
from customers.models import Organisation, Role, Status
from tests.factories import UserFactory
from tests.fixtures.catalogue import customer_vpn, vpn_service

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Taken-over-pass-7"


@pytest.fixture
def active_cast(cast):
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.ACTIVE)
    cast.refresh()
    return cast


@pytest.fixture
def reset_desk(active_cast):
    """What the attack needs: a VPN service role carrying both reset permissions, granted by
    the Customer Admin to an end user."""
    cast = active_cast
    customer_vpn(cast)
    role = Role.objects.create(name="VPN Password Desk", service=vpn_service())
    role.permissions.set(
        Permission.objects.filter(
            codename__in=["view_users", "reset_passwords", "reset_admin_passwords"]
        )
    )
    grant_role(actor=cast.customer_admin, user=cast.end_user, organisation=cast.customer, role=role)
    return cast


def test_a_service_role_with_reset_rights_cannot_reset_the_customer_admins_password(reset_desk):
    cast = reset_desk
    with pytest.raises(PermissionDenied):
        user_admin.reset_password(
            actor=cast.end_user, person=cast.customer_admin, password=NEW_PASSWORD
        )
    with pytest.raises(PermissionDenied):
        user_admin.unlock_user(actor=cast.end_user, person=cast.customer_admin)
    cast.customer_admin.refresh_from_db()
    assert not cast.customer_admin.check_password(NEW_PASSWORD)


def test_a_service_role_with_reset_rights_cannot_reset_the_customer_admin_over_http(
    reset_desk, login
):
    cast = reset_desk
    client = login(cast.end_user)
    url = reverse("users:reset_password", args=[cast.customer_admin.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert response.status_code == 403
    assert client.post(reverse("users:unlock", args=[cast.customer_admin.pk])).status_code == 403
    detail = client.get(reverse("users:detail", args=[cast.customer_admin.pk]))
    assert detail.status_code == 200
    assert url not in detail.content.decode()
    cast.customer_admin.refresh_from_db()
    assert not cast.customer_admin.check_password(NEW_PASSWORD)
    assert not Job.objects.filter(kind=JobKind.RESET_PASSWORD).exists()


def test_a_customer_admin_still_resets_the_holder_of_the_service_role(reset_desk):
    cast = reset_desk
    user_admin.reset_password(
        actor=cast.customer_admin, person=cast.end_user, password=NEW_PASSWORD
    )
    cast.end_user.refresh_from_db()
    assert cast.end_user.check_password(NEW_PASSWORD)


def test_help_desk_cannot_reset_someone_a_service_role_made_an_administrator(reset_desk):
    cast = reset_desk
    assert not user_admin.may_reset(cast.help_desk, cast.end_user)


def test_a_user_with_change_rights_cannot_disable_edit_or_delete_a_stronger_admin(
    active_cast, login
):
    cast = active_cast
    customer_vpn(cast)
    role = Role.objects.create(name="VPN User Desk", service=vpn_service())
    role.permissions.set(
        Permission.objects.filter(codename__in=["view_users", "change_users", "delete_users"])
    )
    grant_role(actor=cast.customer_admin, user=cast.end_user, organisation=cast.customer, role=role)
    with pytest.raises(PermissionDenied):
        user_admin.set_enabled(actor=cast.end_user, person=cast.customer_admin, enabled=False)
    with pytest.raises(PermissionDenied):
        user_admin.edit_user(
            actor=cast.end_user, person=cast.customer_admin, changes={"first_name": "Mallory"}
        )
    with pytest.raises(PermissionDenied):
        user_admin.delete_user(actor=cast.end_user, person=cast.customer_admin)
    client = login(cast.end_user)
    pk = cast.customer_admin.pk
    assert client.post(reverse("users:disable", args=[pk])).status_code == 403
    assert client.get(reverse("users:edit", args=[pk])).status_code == 403
    assert client.get(reverse("users:delete", args=[pk])).status_code == 403
    cast.customer_admin.refresh_from_db()
    assert cast.customer_admin.is_active
    # ... but they still manage someone who holds no more than they do.
    plain = UserFactory(username="plain", organisation=cast.customer, role="User")
    user_admin.set_enabled(actor=cast.end_user, person=plain, enabled=False)
