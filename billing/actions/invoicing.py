"""The monthly run: one draft invoice per postpaid customer and period, from the daily usage
snapshots.

Each issuer bills its direct children (the provider its resellers and direct customers, a
reseller its customers), so the issuer of an account is its organisation's parent. For each
postpaid customer whose billing is active, the draft has:

- a line per subscription: seats x the plan's price per user per month, prorated by the
  seat-days of the period's snapshots (days the customer was suspended are not billed);
- the plan's setup fee, in the period the subscription was created;
- the unit offers bought on credit in the period (units credited, payment due).

The run reads the usage of a batch of customers in three queries, then writes each draft in
a transaction of its own: a constant number of queries per invoice. Running a period again
rewrites the drafts (the same lines, unless the usage changed) and leaves issued invoices
alone; the unique (customer, period) makes a second draft impossible, so a run killed halfway
is finished by the next one, without a gap or a duplicate.
"""

from __future__ import annotations

import calendar
import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import formats
from django.utils.translation import gettext as _

from billing.actions.accounts import may_manage
from billing.actions.tax import RateTable, Tax, issuer_country, tax_for
from billing.models import (
    BillingAccount,
    BillingMode,
    Invoice,
    InvoiceLine,
    LineKind,
    Purchase,
    PurchaseState,
    UsageSnapshot,
    money,
)
from core.actors import SYSTEM
from core.scoping import has_permission
from customers.models import CustomerService, Organisation

logger = logging.getLogger("billing.invoicing")

BATCH = 500
ZERO = Decimal("0")
SUSPENDED = "suspended"


def period_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The calendar month holding ``day``: its first and last day."""
    start = day.replace(day=1)
    return start, start.replace(day=calendar.monthrange(start.year, start.month)[1])


def previous_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return period_of(today.replace(day=1) - datetime.timedelta(days=1))


@dataclass
class LineDraft:
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    net: Decimal
    subscription_id: int | None = None
    purchase_id: int | None = None


@dataclass
class MonthlyRun:
    period_start: datetime.date
    drafted: int = 0
    skipped: int = 0
    failed: dict[int, str] = field(default_factory=dict)


def seats_line(
    name: str, seat_days: int, price: Decimal, days_in_period: int, subscription_id: int | None
) -> LineDraft:
    """Seats x price per user per month, prorated by seat-days: ``seat_days`` of a
    ``days_in_period``-day month at ``price`` a seat-month, rounded half-up once."""
    quantity = (Decimal(seat_days) / days_in_period).quantize(Decimal("0.0001"))
    return LineDraft(
        kind=LineKind.SEATS,
        description=_("%(name)s: %(days)s seat-days") % {"name": name, "days": seat_days},
        quantity=quantity,
        unit_price=price,
        net=money(Decimal(seat_days) * price / days_in_period),
        subscription_id=subscription_id,
    )


def _usage(ids: list[int], start: datetime.date, end: datetime.date) -> dict[int, list[LineDraft]]:
    """Every line of the batch's customers for the period, by organisation (three queries)."""
    days = (end - start).days + 1
    lines: dict[int, list[LineDraft]] = defaultdict(list)
    rows = (
        UsageSnapshot.objects.filter(organisation_id__in=ids, day__range=(start, end))
        .exclude(organisation_status=SUSPENDED)
        .values(
            "organisation_id",
            "subscription_id",
            "subscription__service__name",
            "subscription__plan__name",
            "subscription__plan__price_per_user_month",
        )
        .annotate(seat_days=Sum("seats"))
        .order_by("organisation_id", "subscription__service__name", "subscription_id")
    )
    for row in rows:
        if not row["seat_days"]:
            continue
        name = f"{row['subscription__service__name']} {row['subscription__plan__name']}"
        lines[row["organisation_id"]].append(
            seats_line(
                name,
                row["seat_days"],
                row["subscription__plan__price_per_user_month"],
                days,
                row["subscription_id"],
            )
        )
    setups = CustomerService.objects.filter(
        organisation_id__in=ids, created__date__range=(start, end), plan__setup_fee__gt=0
    ).values_list("organisation_id", "pk", "service__name", "plan__name", "plan__setup_fee")
    for organisation_id, pk, service, plan, fee in setups.order_by("service__name"):
        lines[organisation_id].append(
            LineDraft(
                kind=LineKind.SETUP,
                description=_("Setup fee: %(name)s") % {"name": f"{service} {plan}"},
                quantity=Decimal(1),
                unit_price=fee,
                net=money(fee),
                subscription_id=pk,
            )
        )
    purchases = Purchase.objects.filter(
        account__organisation_id__in=ids,
        state=PurchaseState.CREDITED_UNPAID,
        created__date__range=(start, end),
    ).values_list("account__organisation_id", "pk", "description", "units", "price")
    for organisation_id, pk, description, units, price in purchases.order_by("created", "pk"):
        lines[organisation_id].append(
            LineDraft(
                kind=LineKind.UNITS,
                description=_("%(units)s units: %(description)s")
                % {"units": units, "description": description},
                quantity=Decimal(1),
                unit_price=price,
                net=money(price),
                purchase_id=pk,
            )
        )
    return lines


def _write_draft(
    account: BillingAccount,
    issuer_id: int,
    start: datetime.date,
    end: datetime.date,
    lines: list[LineDraft],
    tax: Tax,
) -> Invoice | None:
    """The customer's draft for the period, with these lines; None if it is issued already
    or there is nothing to bill. Six queries whatever the lines."""
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update()
            .filter(customer_id=account.organisation_id, period_start=start)
            .first()
        )
        if invoice is None and not lines:
            return None  # nothing to bill: no invoice
        if invoice is None:
            try:
                with transaction.atomic():
                    invoice = Invoice.objects.create(
                        issuer_id=issuer_id,
                        customer_id=account.organisation_id,
                        period_start=start,
                        period_end=end,
                        currency=account.currency,
                    )
            except IntegrityError:  # another run made it meanwhile: take that one
                invoice = Invoice.objects.select_for_update().get(
                    customer_id=account.organisation_id, period_start=start
                )
        if not invoice.is_draft:
            return None
        InvoiceLine.objects.filter(invoice=invoice).delete()
        made = InvoiceLine.objects.bulk_create(
            [
                InvoiceLine(
                    invoice=invoice,
                    position=position,
                    kind=line.kind,
                    description=line.description[:300],
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    net=line.net,
                    vat_rate=tax.rate,
                    vat=money(line.net * tax.rate / 100),
                    subscription_id=line.subscription_id,
                    purchase_id=line.purchase_id,
                )
                for position, line in enumerate(lines, start=1)
            ]
        )
        invoice.issuer_id = issuer_id
        invoice.currency = account.currency
        invoice.tax_treatment = tax.treatment
        invoice.tax_note = tax.note[:300]
        invoice.subtotal = sum((line.net for line in made), ZERO)
        invoice.tax = sum((line.vat for line in made), ZERO)
        invoice.total = invoice.subtotal + invoice.tax
        Invoice.objects.filter(pk=invoice.pk).update(
            issuer_id=issuer_id,
            currency=invoice.currency,
            tax_treatment=invoice.tax_treatment,
            tax_note=invoice.tax_note,
            subtotal=invoice.subtotal,
            tax=invoice.tax,
            total=invoice.total,
        )
    return invoice


def billed_accounts(issuer: Organisation | None = None, customer: Organisation | None = None):
    """Postpaid accounts with active billing, with their organisation and its parent."""
    accounts = BillingAccount.objects.filter(
        billing_mode=BillingMode.POSTPAID,
        organisation__inactive_billing=False,
        organisation__parent__isnull=False,
    )
    if issuer is not None:
        accounts = accounts.filter(organisation__parent=issuer)
    if customer is not None:
        accounts = accounts.filter(organisation=customer)
    return accounts.select_related("organisation").order_by("organisation_id")


def run_period(
    day: datetime.date,
    *,
    actor: Any,
    issuer: Organisation | None = None,
    customer: Organisation | None = None,
    batch: int = BATCH,
    stop_after: int | None = None,
) -> MonthlyRun:
    """Draft the invoices of the period holding ``day``: every issuer's (the beat task,
    ``actor`` SYSTEM), one issuer's, or one customer's again (an admin of its issuer).
    ``stop_after`` (invoices) is for the fault tests and the benchmark."""
    if actor is not SYSTEM:
        if customer is not None:
            allowed = may_manage(actor, customer)
        else:
            allowed = issuer is not None and may_manage_issuer(actor, issuer)
        if not allowed:
            raise PermissionDenied(_("You may not run the invoices of this organisation."))
    start, end = period_of(day)
    run = MonthlyRun(period_start=start)
    rates = RateTable()
    accounts = list(billed_accounts(issuer, customer))
    parents = {a.organisation.parent_id for a in accounts}
    countries = {
        a.organisation_id: issuer_country(a)
        for a in BillingAccount.objects.filter(organisation_id__in=parents)
    }
    for offset in range(0, len(accounts), batch):
        chunk = accounts[offset : offset + batch]
        usage = _usage([a.organisation_id for a in chunk], start, end)
        for account in chunk:
            if stop_after is not None and run.drafted >= stop_after:
                return run
            organisation = account.organisation
            home = countries.get(organisation.parent_id) or issuer_country(None)
            try:
                tax = tax_for(account, home, end, rates)
                made = _write_draft(
                    account, organisation.parent_id, start, end, usage[organisation.pk], tax
                )
            except ValidationError as error:
                run.failed[organisation.pk] = " ".join(error.messages)
                logger.warning("invoice of %s for %s: %s", organisation.code, start, error)
                continue
            if made is None:
                run.skipped += 1
            else:
                run.drafted += 1
    return run


def may_manage_issuer(actor: Any, issuer: Organisation) -> bool:
    """An issuer's own admins (``manage_billing`` on it) run and issue its invoices."""
    return has_permission(actor, "manage_billing", issuer)


def period_label(start: datetime.date) -> str:
    return formats.date_format(start, "F Y")
