"""The daily debit: a snapshot of seats per subscription per day, and one debit per
(subscription, day) however often it runs, resumable after a run stopped halfway."""

import datetime
from decimal import Decimal

import pytest

from billing.actions.accounts import account_for, update_profile
from billing.actions.ledger import credit
from billing.actions.usage import run_daily_usage
from billing.models import Cause, Transaction, UsageSnapshot
from core.actors import SYSTEM
from customers.models import UserService
from tests.factories import UserFactory
from tests.fixtures.catalogue import subscribe, vpn_plan

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 30)


def seats(organisation, count, rate="1.50"):
    plan = vpn_plan()
    plan.unit_rate = Decimal(rate)
    plan.save()
    subscription = subscribe(organisation, plan=plan)
    UserService.objects.bulk_create(
        [
            UserService(user=UserFactory(organisation=organisation), subscription=subscription)
            for _ in range(count)
        ]
    )
    return subscription


def funded(organisation, units=100):
    account = account_for(organisation)
    credit(actor=SYSTEM, account=account, units=units, description="Opening")
    return account


def test_a_run_snapshots_and_debits_and_a_second_run_debits_nothing(cast):
    subscription = seats(cast.customer, 4)
    account = funded(cast.customer)
    first = run_daily_usage(DAY, actor=SYSTEM)
    assert (first.debits, first.units) == (1, Decimal("6.00"))
    snapshot = UsageSnapshot.objects.get(subscription=subscription, day=DAY)
    assert (snapshot.seats, snapshot.units) == (4, Decimal("6.00"))
    second = run_daily_usage(DAY, actor=SYSTEM)
    assert (second.snapshots, second.debits) == (0, 0)
    account.refresh_from_db()
    assert account.balance == Decimal("94.00") == account.transactions.total()
    row = account.transactions.get(cause=Cause.DAILY_USAGE)
    assert (row.subscription, row.usage_day, row.balance_after) == (
        subscription,
        DAY,
        Decimal("94.00"),
    )
    assert "VPN, 4 seats" in row.description
    run_daily_usage(DAY + datetime.timedelta(days=1), actor=SYSTEM)
    account.refresh_from_db()
    assert account.balance == Decimal("88.00")


def test_postpaid_and_inactive_billing_are_snapshotted_but_not_debited(cast):
    seats(cast.customer, 2)
    seats(cast.customer2, 3)
    postpaid = funded(cast.customer)
    update_profile(actor=SYSTEM, account=postpaid, changes={"billing_mode": "postpaid"})
    inactive = funded(cast.customer2)
    cast.customer2.inactive_billing = True
    cast.customer2.save()
    run = run_daily_usage(DAY, actor=SYSTEM)
    assert run.snapshots >= 2 and run.debits == 0
    for account in (postpaid, inactive):
        account.refresh_from_db()
        assert account.balance == 100


def test_a_run_stopped_halfway_finishes_on_the_next_without_gap_or_double(cast):
    accounts = []
    for organisation in (cast.customer, cast.customer2, cast.deep_customer):
        seats(organisation, 2, rate="2")
        accounts.append(funded(organisation))
    partial = run_daily_usage(DAY, actor=SYSTEM, batch=1, stop_after=1)
    assert partial.debits == 1
    rest = run_daily_usage(DAY, actor=SYSTEM, batch=1)
    assert rest.debits == 2
    again = run_daily_usage(DAY, actor=SYSTEM)
    assert again.debits == 0
    for account in accounts:
        account.refresh_from_db()
        assert account.balance == 96 == account.transactions.total()
    assert Transaction.objects.filter(cause=Cause.DAILY_USAGE, usage_day=DAY).count() == 3


def test_the_daily_debit_crossing_the_warn_level_sends_one_email(
    cast, smtp, django_capture_on_commit_callbacks
):
    """The mail is queued on commit and sent by a task (eager under the smtp fixture), as a
    real SMTP server receives it."""
    seats(cast.customer, 5, rate="1")
    cast.customer.email = "billing@customer.example"
    cast.customer.save()
    account = funded(cast.customer, units=12)
    update_profile(actor=SYSTEM, account=account, changes={"unit_warn_level": 8})
    with django_capture_on_commit_callbacks(execute=True):
        run_daily_usage(DAY, actor=SYSTEM)  # 12 -> 7: crosses 8
        run_daily_usage(DAY + datetime.timedelta(days=1), actor=SYSTEM)  # 7 -> 2: still below
    assert len(smtp.messages) == 1
    assert smtp.recipients[0] == ["billing@customer.example"]
    body = smtp.messages[0].get_content()
    assert "7.00" in body and "8.00" in body
