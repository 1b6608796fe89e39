"""The cutoff balance: at or below it, and when the balance cannot pay one more day of the
seats, customers' actions refuse to add users, services or seats (billing's admission check,
registered in core.registry, asked by customers without importing billing)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.actions.accounts import account_for, update_profile
from billing.actions.ledger import credit, debit
from core.actors import SYSTEM
from core.registry import ADMISSION_CHECKS
from customers.actions.assignments import give_service
from customers.actions.catalogue import provision_service
from customers.actions.users import create_user
from customers.models import Plan, Service, User
from tests.cast import build_cast
from tests.factories import UserFactory
from tests.fixtures.catalogue import subscribe, vpn_plan
from tests.fixtures.racing import race, refused, succeeded


def account_plan(rate: str) -> Plan:
    plan = Plan.objects.get(service__code="ACCOUNT", name="Standard")
    plan.unit_rate = Decimal(rate)
    plan.save()
    return plan


def prepaid(cast, *, balance, cutoff):
    account = account_for(cast.customer)
    update_profile(actor=SYSTEM, account=account, changes={"cutoff_balance": cutoff})
    if balance:
        credit(actor=SYSTEM, account=account, units=balance, description="Opening")
    return account


def new_user(cast, name: str):
    domain = cast.customer.domains.get(is_primary=True).name
    return create_user(
        actor=SYSTEM, organisation=cast.customer, username=name, upn=f"{name}@{domain}"
    )


def test_billing_registered_its_check_at_start_up():
    assert "billing.cutoff" in ADMISSION_CHECKS


def test_at_the_cutoff_no_user_is_added_and_the_refusal_names_balance_and_cutoff(cast):
    account = prepaid(cast, balance=10, cutoff=10)
    with pytest.raises(ValidationError) as refused:
        new_user(cast, "late")
    message = " ".join(refused.value.messages)
    assert "10.00" in message and "cutoff balance of 10" in message
    assert refused.value.code == "cutoff_balance"
    assert not User.objects.filter(username="late").exists()
    credit(actor=SYSTEM, account=account, units="0.01", description="Top-up")
    new_user(cast, "late")


def test_below_the_cutoff_no_subscription_and_no_seat_is_added(cast):
    subscription = subscribe(cast.customer)
    person = UserFactory(organisation=cast.customer)
    account = prepaid(cast, balance=5, cutoff=0)
    debit(actor=SYSTEM, account=account, units=6, description="Usage")
    with pytest.raises(ValidationError):
        give_service(actor=SYSTEM, subscription=subscription, users=[person])
    mail = Service.objects.create(code="MAILX", name="Mail", service_type="mail_attributes")
    plan = Plan.objects.create(service=mail, name="Standard")
    with pytest.raises(ValidationError):
        provision_service(actor=SYSTEM, organisation=cast.customer, plan=plan)


def test_seats_are_refused_when_the_balance_cannot_pay_one_more_day(cast):
    plan = vpn_plan()
    plan.unit_rate = 2
    plan.save()
    subscription = subscribe(cast.customer, plan=plan)
    people = [UserFactory(organisation=cast.customer) for _ in range(3)]
    prepaid(cast, balance=5, cutoff=0)
    give_service(actor=SYSTEM, subscription=subscription, users=people[:2])
    with pytest.raises(ValidationError) as refused:
        give_service(actor=SYSTEM, subscription=subscription, users=people[2:])
    assert "6.00 units a day" in " ".join(refused.value.messages)


def test_inactive_billing_and_postpaid_accounts_are_never_cut_off(cast):
    account = prepaid(cast, balance=0, cutoff=10)
    cast.customer.inactive_billing = True
    cast.customer.save()
    new_user(cast, "free1")
    cast.customer.inactive_billing = False
    cast.customer.save()
    update_profile(actor=SYSTEM, account=account, changes={"billing_mode": "postpaid"})
    new_user(cast, "free2")


@pytest.mark.django_db(transaction=True)
def test_twenty_racing_creations_where_the_balance_allows_three_create_exactly_three():
    cast = build_cast()
    subscribe(cast.customer, plan=account_plan("1.50"))
    prepaid(cast, balance="4.50", cutoff=0)  # three seat-days of the directory account
    results = race([lambda i=i: new_user(cast, f"racer{i}") for i in range(20)])
    assert succeeded(results) == 3
    assert refused(results, ValidationError) == 17
    assert User.objects.filter(username__startswith="racer").count() == 3
