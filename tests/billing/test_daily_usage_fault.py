"""The daily debit survives its worker being killed halfway: a real worker on a broker of
the test's own (a private Redis: no other worktree's worker may take the task), SIGKILLed
while it debits one account per transaction; the next run finishes without a gap or a
double debit."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from billing.actions.usage import run_daily_usage
from billing.models import BillingAccount, Cause, Transaction
from billing.tasks import daily_usage
from core.actors import SYSTEM
from customers.models import CustomerService, Organisation, User, UserService
from tests.cast import build_cast
from tests.fixtures.billing_worker import billing_worker
from tests.fixtures.catalogue import vpn_plan
from tests.fixtures.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.serial]

DAY = datetime.date(2026, 11, 29)
ACCOUNTS = 400


def _many_prepaid_customers(parent: Organisation, count: int) -> list[int]:
    """``count`` customers with two VPN seats at 1 unit and 100 units each, written directly
    (the state under test, not how it came about)."""
    plan = vpn_plan()
    plan.unit_rate = Decimal("1")
    plan.save()
    organisations = [
        Organisation.objects.create(parent=parent, code=f"BULK{n}", name=f"Bulk {n}")
        for n in range(count)
    ]
    subscriptions = CustomerService.objects.bulk_create(
        [
            CustomerService(organisation=o, service=plan.service, plan=plan, status="active")
            for o in organisations
        ]
    )
    people = User.objects.bulk_create(
        [
            User(organisation=o, username=f"bulk{o.pk}-{i}", upn=f"bulk{o.pk}-{i}@x.example")
            for o in organisations
            for i in range(2)
        ]
    )
    by_org = {s.organisation_id: s for s in subscriptions}
    UserService.objects.bulk_create(
        [UserService(user=p, subscription=by_org[p.organisation_id]) for p in people]
    )
    accounts = BillingAccount.objects.bulk_create(
        [BillingAccount(organisation=o, balance=Decimal("100")) for o in organisations]
    )
    # The opening balance as a ledger row, so balance == sum(ledger) from the start.
    Transaction.objects.bulk_create(
        [
            Transaction(
                account=a,
                transaction_type="credit",
                amount=Decimal("100"),
                description="Opening",
                cause=Cause.MANUAL,
                balance_after=Decimal("100"),
            )
            for a in accounts
        ]
    )
    return [a.pk for a in accounts]


def _worker(tmp_path, broker_url: str):
    return billing_worker(tmp_path, broker_url, BILLING_DAILY_BATCH="1")


def _debited() -> int:
    return Transaction.objects.filter(cause=Cause.DAILY_USAGE, usage_day=DAY).count()


def test_a_daily_run_killed_halfway_finishes_on_the_next_without_gap_or_double(
    private_broker, tmp_path
):
    cast = build_cast()
    ids = _many_prepaid_customers(cast.reseller, ACCOUNTS)
    worker = _worker(tmp_path, private_broker.url)
    try:
        daily_usage.delay(DAY.isoformat())
        wait_until(lambda: _debited() >= 20, 60, "the worker never started debiting")
        worker.kill()
    finally:
        worker.stop()
    halfway = _debited()
    assert 0 < halfway < ACCOUNTS, "the kill came too late to test anything"
    run_daily_usage(DAY, actor=SYSTEM)
    run_daily_usage(DAY, actor=SYSTEM)
    assert _debited() == ACCOUNTS
    balances = set(BillingAccount.objects.filter(pk__in=ids).values_list("balance", flat=True))
    assert balances == {Decimal("98.00")}
    for account in BillingAccount.objects.filter(pk__in=ids[:: ACCOUNTS // 10]):
        assert account.transactions.total() == account.balance
