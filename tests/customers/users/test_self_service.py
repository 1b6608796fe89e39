"""End users: their own services, their own password (the directory's through a job)."""

import pytest
from django.urls import reverse

from core.actors import SYSTEM
from core.credentials import decrypt_secret
from core.jobs import JobKind
from core.models import Job
from customers.actions.assignments import give_service
from customers.models import Organisation, Status
from tests.fixtures.catalogue import customer_vpn

pytestmark = pytest.mark.django_db

NEW = "Fresh-secret-88"


def test_an_end_user_sees_their_services(cast, login):
    give_service(actor=SYSTEM, subscription=customer_vpn(cast), users=[cast.end_user])
    page = login(cast.end_user).get(reverse("users:my_services")).content.decode()
    assert "VPN" in page


def test_an_end_user_changes_their_password_in_the_portal_and_the_directory(cast, login, password):
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.ACTIVE)
    client = login(cast.end_user)
    response = client.post(
        reverse("users:my_password"),
        {"old_password": password, "password": NEW, "password_repeat": NEW},
    )
    assert response.status_code == 302
    cast.end_user.refresh_from_db()
    assert cast.end_user.check_password(NEW)
    job = Job.objects.get(kind=JobKind.CHANGE_PASSWORD)
    assert job.user == cast.end_user and decrypt_secret(job.secret) == NEW
    assert client.get(reverse("users:my_services")).status_code == 200  # still signed in


def test_the_current_password_must_be_right(cast, login):
    response = login(cast.end_user).post(
        reverse("users:my_password"),
        {"old_password": "wrong", "password": NEW, "password_repeat": NEW},
    )
    assert "Your current password is not right." in response.content.decode()
    assert not Job.objects.exists()


def test_the_new_password_follows_the_customers_policy(cast, login, password):
    response = login(cast.end_user).post(
        reverse("users:my_password"),
        {"old_password": password, "password": "abc", "password_repeat": "abc"},
    )
    assert "Use at least 8 characters" in response.content.decode()
