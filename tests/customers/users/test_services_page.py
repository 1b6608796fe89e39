"""A user's page: Save services keeps the directory account, and a new user's jobs say what
they do."""

import pytest
from django.urls import reverse

from core.actors import SYSTEM
from core.jobs import JobKind
from core.models import Job
from customers.actions.users import create_user
from customers.models import Organisation, Plan, ServiceType, Status, UserService
from tests.fixtures.catalogue import customer_vpn, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def active_cast(cast):
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.ACTIVE)
    cast.refresh()
    return cast


def directory_account(cast):
    plan = Plan.objects.get(service__service_type=ServiceType.DIRECTORY_ACCOUNT)
    subscribe(cast.reseller, plan)
    return subscribe(cast.customer, plan)


def test_save_services_keeps_the_hidden_directory_account(active_cast, login):
    cast = active_cast
    account = directory_account(cast)
    vpn = customer_vpn(cast)
    person, _ = create_user(
        actor=SYSTEM, organisation=cast.customer, username="kept", upn="kept@c1.example"
    )
    assert person.services.filter(subscription=account).exists()
    response = login(cast.customer_admin).post(
        reverse("users:services", args=[person.pk]), {"services": [vpn.pk]}, follow=True
    )
    assert "Saved the services of kept." in response.content.decode()
    held = set(UserService.objects.filter(user=person).values_list("subscription", flat=True))
    assert held == {account.pk, vpn.pk}


def test_a_new_user_without_services_gets_no_assign_job(active_cast):
    cast = active_cast
    directory_account(cast)
    person, jobs = create_user(
        actor=SYSTEM,
        organisation=cast.customer,
        username="plain",
        upn="plain@c1.example",
        subscriptions=[],
    )
    assert [job.kind for job in jobs] == [JobKind.CREATE_USER]
    assert not Job.objects.filter(user=person, kind=JobKind.ASSIGN_SERVICES).exists()


def test_a_new_users_assign_job_names_the_services_and_the_user(active_cast):
    cast = active_cast
    directory_account(cast)
    vpn = customer_vpn(cast)
    _, jobs = create_user(
        actor=SYSTEM,
        organisation=cast.customer,
        username="withvpn",
        upn="withvpn@c1.example",
        subscriptions=[vpn],
    )
    assign = next(job for job in jobs if job.kind == JobKind.ASSIGN_SERVICES)
    assert assign.target_label == "VPN for withvpn"
    assert assign.payload["subscription_ids"] == [vpn.pk]
