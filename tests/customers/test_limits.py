"""Limits hold under load: the last seats go to exactly as many requests as there are seats."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.urls import reverse

from core.actors import SYSTEM
from customers.actions.limits import (
    check_service_allocation,
    check_user_limit,
    take_service_seat,
    user_usage,
)
from customers.actions.organisations import update_organisation
from customers.actions.users import create_user
from customers.models import CustomerService, Organisation, Plan, Service, User, UserService
from tests.cast import build_cast
from tests.customers.helpers import detailed_form_data, edit_data, url
from tests.factories import OrganisationFactory, UserFactory
from tests.fixtures.racing import race, refused, succeeded


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
    results = race([lambda n=n: make_user(customer, n) for n in range(20)])
    assert succeeded(results) == 5
    assert refused(results, ValidationError) == 15
    assert customer.users.count() == used + 5


@pytest.mark.django_db
def test_the_first_user_of_a_customer_is_always_an_administrator(cast):
    from tests.factories import OrganisationFactory

    fresh = OrganisationFactory(name="Fresh", parent=cast.reseller)
    first = UserFactory(username="first", organisation=fresh, is_admin=False)
    second = UserFactory(username="second", organisation=fresh, is_admin=False)
    assert first.is_admin and not second.is_admin
    assert first.role_grants.get().role.name == "Customer Admin"


def limit_reseller_one(total: int) -> None:
    Organisation.objects.filter(name="Reseller One").update(user_limit=total)


@pytest.mark.django_db
def test_a_reseller_limited_to_five_users_cannot_create_a_customer_of_a_million(cast, login):
    """Issue 9, hole 6: the pool was never checked when a customer was created."""
    limit_reseller_one(5)
    client = login(cast.reseller_admin)
    data = detailed_form_data(cast.reseller, user_limit=1_000_000)
    response = client.post(url("create"), data)
    assert response.status_code == 200
    assert "users are left to give" in str(response.context["form"].errors["user_limit"])
    assert not Organisation.objects.filter(name="Globex Corporation").exists()
    # What is left of the pool (5, less Reseller One's own user) is still given.
    response = client.post(url("create"), detailed_form_data(cast.reseller, user_limit=4))
    assert response.status_code == 302
    assert Organisation.objects.get(name="Globex Corporation").user_limit == 4


@pytest.mark.django_db
def test_a_reseller_cannot_raise_a_customers_limit_beyond_its_pool(cast, login):
    limit_reseller_one(10)
    Organisation.objects.filter(pk=cast.customer.pk).update(user_limit=5)
    cast.refresh()
    client = login(cast.reseller_admin)
    edit = reverse("customers:edit", args=[cast.customer.pk])
    response = client.post(edit, edit_data(cast.customer, user_limit=1_000_000))
    assert response.status_code == 200
    assert "users are left to give" in str(response.context["form"].errors["user_limit"])
    with pytest.raises(ValidationError, match="Only 9 of Reseller One's 10"):
        update_organisation(
            actor=cast.reseller_admin, organisation=cast.customer, changes={"user_limit": 10}
        )
    update_organisation(
        actor=cast.reseller_admin, organisation=cast.customer, changes={"user_limit": 9}
    )
    assert Organisation.objects.get(pk=cast.customer.pk).user_limit == 9


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_edits_raising_limits_never_overdraw_the_resellers_pool():
    """Each edit alone fits the pool; together they would overdraw it five times over."""
    cast = build_cast()
    customers = [
        OrganisationFactory(name=f"Racer {n}", parent=cast.reseller, user_limit=0)
        for n in range(20)
    ]
    # Reseller One: 1 user of its own, Customer One holds 3 (limit 3): 5 seats left to give.
    Organisation.objects.filter(pk=cast.customer.pk).update(user_limit=3)
    limit_reseller_one(1 + 3 + 5)
    results = race(
        [
            lambda c=c: update_organisation(
                actor=cast.reseller_admin,
                organisation=Organisation.objects.get(pk=c.pk),
                changes={"user_limit": 1},
            )
            for c in customers
        ]
    )
    assert succeeded(results) == 5
    assert refused(results, ValidationError) == 15
    given = Organisation.objects.filter(parent=cast.reseller).aggregate(total=Sum("user_limit"))
    assert given["total"] == 3 + 5
