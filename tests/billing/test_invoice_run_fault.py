"""The monthly run survives its worker being killed halfway: a real worker on a private
broker (tests/fixtures/billing_worker.py), SIGKILLed while it writes one customer's draft per
transaction (BILLING_INVOICE_BATCH=1); the next run finishes without a gap or a duplicate."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from billing.actions.invoicing import run_period
from billing.models import BillingAccount, BillingMode, Invoice, InvoiceLine, UsageSnapshot
from billing.tasks import monthly_invoices
from core.actors import SYSTEM
from customers.models import CustomerService, Organisation
from tests.cast import build_cast
from tests.fixtures.billing_worker import billing_worker
from tests.fixtures.invoices import PERIOD, priced_vpn, vat_rates
from tests.fixtures.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.serial]

CUSTOMERS = 400


def _many_postpaid_customers(parent: Organisation, count: int) -> None:
    """``count`` postpaid customers with 2 VPN seats all November, written directly."""
    vat_rates()
    plan = priced_vpn("10.00")
    organisations = [
        Organisation.objects.create(parent=parent, code=f"POST{n}", name=f"Postpaid {n}")
        for n in range(count)
    ]
    subscriptions = CustomerService.objects.bulk_create(
        [
            CustomerService(organisation=o, service=plan.service, plan=plan, status="active")
            for o in organisations
        ]
    )
    BillingAccount.objects.bulk_create(
        [
            BillingAccount(organisation=o, billing_mode=BillingMode.POSTPAID, tax_country="DE")
            for o in organisations
        ]
    )
    UsageSnapshot.objects.bulk_create(
        [
            UsageSnapshot(
                subscription=s,
                organisation_id=s.organisation_id,
                day=PERIOD + datetime.timedelta(days=d),
                seats=2,
                organisation_status="active",
                unit_rate=0,
                units=0,
            )
            for s in subscriptions
            for d in range(30)
        ]
    )


def test_a_monthly_run_killed_halfway_is_finished_by_the_next_without_gap_or_duplicate(
    private_broker, tmp_path
):
    cast = build_cast()
    BillingAccount.objects.create(organisation=cast.reseller, tax_country="DE")
    _many_postpaid_customers(cast.reseller, CUSTOMERS)
    worker = billing_worker(tmp_path, private_broker.url, BILLING_INVOICE_BATCH="1")
    try:
        monthly_invoices.delay(PERIOD.isoformat())
        wait_until(lambda: Invoice.objects.count() >= 20, 60, "the worker never started")
        worker.kill()
    finally:
        worker.stop()
    halfway = Invoice.objects.count()
    assert 0 < halfway < CUSTOMERS, "the kill came too late to test anything"
    run_period(PERIOD, actor=SYSTEM)
    run_period(PERIOD, actor=SYSTEM)
    assert Invoice.objects.count() == CUSTOMERS
    assert InvoiceLine.objects.count() == CUSTOMERS  # one line each: none lost, none twice
    assert set(Invoice.objects.values_list("total", flat=True)) == {Decimal("23.80")}
