"""Limits hold under load: the last seats go to exactly as many requests as there are seats."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core.actors import SYSTEM
from customers.actions.limits import (
    check_service_allocation,
    check_user_limit,
    take_service_seat,
    user_usage,
)
from customers.actions.users import create_user
from customers.models import CustomerService, Organisation, Plan, Service, User, UserService
from tests.cast import build_cast
from tests.factories import UserFactory


def make_user(organisation, n):
    return create_user(
        actor=SYSTEM,
        organisation=organisation,
        username=f"racer{n}",
        upn=f"racer{n}@race.example",
        password="Race-pass-1!",
    )[0]


@pytest.mark.django_db
def test_a_customer_cannot_have_more_users_than_its_limit(cast):
    cast.customer.user_limit = cast.customer.users.count() + 1
    cast.customer.save()
    make_user(cast.customer, 1)
    with pytest.raises(ValidationError, match="reached its user limit"):
        make_user(cast.customer, 2)
    assert not User.objects.filter(username="racer2").exists()


@pytest.mark.django_db
def test_a_resellers_pool_caps_what_its_customers_are_given(cast):
    Organisation.objects.filter(pk=cast.reseller.pk).update(user_limit=100)
    cast.refresh()
    Organisation.objects.filter(pk=cast.subreseller.pk).update(user_limit=60)
    # Reseller One has 1 user of its own and gave 60 to the sub-reseller: 39 are left.
    with pytest.raises(ValidationError, match="Only 39 of Reseller One's 100"):
        check_user_limit(cast.customer, 40)
    check_user_limit(cast.customer, 39)
    with pytest.raises(ValidationError, match="set a number"):
        check_user_limit(cast.customer, None)


@pytest.mark.django_db
def test_a_limit_cannot_go_below_what_is_used(cast):
    with pytest.raises(ValidationError, match="already uses 3"):
        check_user_limit(cast.customer, 2)


@pytest.mark.django_db
def test_usage_shows_used_over_allowed(cast):
    Organisation.objects.filter(pk=cast.reseller.pk).update(user_limit=50)
    Organisation.objects.filter(pk=cast.customer.pk).update(user_limit=20)
    Organisation.objects.filter(pk=cast.subreseller.pk).update(user_limit=10)
    reseller = Organisation.objects.get(pk=cast.reseller.pk)
    assert str(user_usage(reseller)) == "31 / 50"  # 1 own user + 20 + 10 given out


@pytest.mark.django_db
def test_a_plan_limit_caps_service_seats(cast):
    service = Service.objects.create(code="VPN", name="VPN", service_type="security_group")
    plan = Plan.objects.create(service=service, name="Small", user_limit=1)
    subscription = CustomerService.objects.create(
        organisation=cast.customer, service=service, plan=plan
    )
    UserService.objects.create(user=cast.end_user, subscription=take_service_seat(subscription))
    with pytest.raises(ValidationError, match="No VPN seats left"):
        take_service_seat(subscription)


@pytest.mark.django_db
def test_a_reseller_passes_on_only_the_seats_it_has(cast):
    service = Service.objects.create(code="VPN", name="VPN", service_type="security_group")
    plan = Plan.objects.create(service=service, name="Standard")
    CustomerService.objects.create(
        organisation=cast.reseller, service=service, plan=plan, user_limit=10
    )
    CustomerService.objects.create(
        organisation=cast.subreseller, service=service, plan=plan, user_limit=6
    )
    with pytest.raises(ValidationError, match="Only 4 seats"):
        check_service_allocation(cast.customer, service.pk, 5)
    check_service_allocation(cast.customer, service.pk, 4)
    with pytest.raises(ValidationError, match="does not have this service"):
        check_service_allocation(cast.customer2, service.pk, 1)


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_requests_for_the_last_five_seats_give_exactly_five_users():
    cast = build_cast()
    customer = cast.customer
    used = customer.users.count()
    Organisation.objects.filter(pk=customer.pk).update(user_limit=used + 5)
    barrier = threading.Barrier(20)
    outcomes: list[str] = []

    def request(n: int) -> None:
        try:
            barrier.wait()
            make_user(customer, n)
            outcomes.append("created")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=request, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("created") == 5
    assert outcomes.count("refused") == 15
    assert customer.users.count() == used + 5


@pytest.mark.django_db
def test_the_first_user_of_a_customer_is_always_an_administrator(cast):
    from tests.factories import OrganisationFactory

    fresh = OrganisationFactory(name="Fresh", parent=cast.reseller)
    first = UserFactory(username="first", organisation=fresh, is_admin=False)
    second = UserFactory(username="second", organisation=fresh, is_admin=False)
    assert first.is_admin and not second.is_admin
    assert first.role_grants.get().role.name == "Customer Admin"
