"""Usage across the cast's tree for the Reports tests: two days of snapshots and rollups."""

import datetime

import pytest

from billing.actions.usage import run_daily_usage
from core.actors import SYSTEM
from customers.models import Plan, Service, UserService
from tests.factories import UserFactory
from tests.fixtures.catalogue import subscribe, vpn_plan

DAY1 = datetime.date(2026, 11, 1)
DAY2 = datetime.date(2026, 11, 2)


def mail_plan() -> Plan:
    service, _ = Service.objects.get_or_create(
        code="MAIL", defaults={"name": "Mail", "service_type": "mail_attributes"}
    )
    plan, _ = Plan.objects.get_or_create(service=service, name="Standard")
    return plan


def give(organisation, count, plan=None):
    subscription = subscribe(organisation, plan=plan or vpn_plan())
    UserService.objects.bulk_create(
        [
            UserService(user=UserFactory(organisation=organisation), subscription=subscription)
            for _ in range(count)
        ]
    )
    return subscription


@pytest.fixture(name="used")
def used_fixture(cast):
    """Two days of usage across the tree. Day 1: Reseller One itself 1 VPN, Customer One 2 VPN
    and 1 Mail, Deep Customer 3 VPN, Customer Two 5 VPN. Day 2: Customer One has 4 VPN."""
    give(cast.reseller, 1)
    give(cast.customer, 2)
    give(cast.customer, 1, mail_plan())
    give(cast.deep_customer, 3)
    give(cast.customer2, 5)
    run_daily_usage(DAY1, actor=SYSTEM)
    give(cast.customer, 2)
    run_daily_usage(DAY2, actor=SYSTEM)
    return cast
