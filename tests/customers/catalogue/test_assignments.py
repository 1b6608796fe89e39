"""Giving and taking services: one user or many, under the seat limits, atomically."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.actors import SYSTEM
from core.jobs import JobKind
from core.models import Job
from customers.actions.assignments import give_service, set_user_services, take_service
from customers.models import Organisation, Status
from tests.fixtures.catalogue import customer_vpn, subscribe


@pytest.mark.django_db
def test_a_service_goes_to_many_users_at_once_with_one_job(cast, login):
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.ACTIVE)
    subscription = customer_vpn(cast)
    users = [cast.end_user, cast.help_desk]
    response = login(cast.customer_admin).post(
        reverse("catalogue:subscription_give", args=[subscription.pk]),
        {"users": [u.pk for u in users]},
    )
    assert response.status_code == 302
    assert subscription.assignments.count() == 2
    job = Job.objects.get(kind=JobKind.ASSIGN_SERVICES)
    assert sorted(job.payload["user_ids"]) == sorted(u.pk for u in users)
    assert job.payload["subscription_ids"] == [subscription.pk]


@pytest.mark.django_db
def test_a_plan_or_seat_limit_caps_giving(cast):
    subscription = subscribe(cast.customer, user_limit=1)
    with pytest.raises(ValidationError, match="Only 1 VPN seats are left"):
        give_service(actor=SYSTEM, subscription=subscription, users=[cast.end_user, cast.help_desk])
    assert not subscription.assignments.exists()


@pytest.mark.django_db
def test_only_users_of_the_customer_get_its_services(cast):
    with pytest.raises(ValidationError, match="users of the customer"):
        give_service(actor=SYSTEM, subscription=customer_vpn(cast), users=[cast.customer2_admin])
    with pytest.raises(PermissionDenied):
        give_service(actor=cast.help_desk, subscription=customer_vpn(cast), users=[cast.end_user])


@pytest.mark.django_db
def test_the_user_page_sets_exactly_the_services_ticked(cast):
    vpn = customer_vpn(cast)
    set_user_services(actor=cast.customer_admin, user=cast.end_user, subscriptions=[vpn])
    assert list(cast.end_user.services.values_list("subscription", flat=True)) == [vpn.pk]
    set_user_services(actor=cast.customer_admin, user=cast.end_user, subscriptions=[])
    assert not cast.end_user.services.exists()
    take_service(actor=cast.customer_admin, subscription=vpn, users=[cast.end_user])


@pytest.mark.django_db
def test_the_mail_service_makes_the_upn_the_users_email(cast):
    from customers.models import Plan, Service

    mail = Service.objects.create(code="MAIL", name="Mail", service_type="mail_attributes")
    subscription = subscribe(cast.customer, plan=Plan.objects.create(service=mail, name="Std"))
    give_service(actor=SYSTEM, subscription=subscription, users=[cast.end_user])
    cast.end_user.refresh_from_db()
    assert cast.end_user.email == cast.end_user.upn
