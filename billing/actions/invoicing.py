"""The monthly run: one draft invoice per postpaid customer and period, from the daily usage
snapshots.

Each issuer bills its direct children (the provider its resellers and direct customers, a
reseller its customers), so the issuer of an account is its organisation's parent. For each
postpaid customer whose billing is active, the draft has:

- a line per subscription: seats x the plan's price per user per month, prorated by the
  seat-days of the period's snapshots (days the customer was suspended are not billed);
- the plan's setup fee, in the period the subscription was created;
- the unit offers bought on credit in the period (units credited, payment due).

The run reads the usage of a batch of customers in three queries and writes the batch's
drafts in one transaction of a fixed number of statements (``BILLING_INVOICE_BATCH``
customers; a killed worker loses only its open batch). Running a period again rewrites the
drafts (the same lines, unless the usage changed) and leaves issued invoices alone; the
unique (customer, period) makes a second draft impossible, so a run killed halfway is
finished by the next one, without a gap or a duplicate.
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
from django.db import connection, models, transaction
from django.db.models import F, Sum
from django.utils import formats, timezone
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
    # The seat-days alone, then the batch's subscriptions (name, price) apart: joining the
    # plan and service to every snapshot before grouping made the database do it 30 times a
    # subscription.
    seat_days = (
        UsageSnapshot.objects.filter(organisation_id__in=ids, day__range=(start, end))
        .exclude(organisation_status=SUSPENDED)
        .values_list("organisation_id", "subscription_id")
        .annotate(seat_days=Sum("seats"))
        .order_by()
    )
    rows = [row for row in seat_days if row[2]]
    subscriptions = {
        pk: (service, plan, price)
        for pk, service, plan, price in CustomerService.objects.filter(
            pk__in={row[1] for row in rows}
        ).values_list("pk", "service__name", "plan__name", "plan__price_per_user_month")
    }
    rows.sort(key=lambda row: (row[0], subscriptions[row[1]][0], row[1]))
    for organisation_id, subscription_id, count in rows:
        service, plan, price = subscriptions[subscription_id]
        lines[organisation_id].append(
            seats_line(f"{service} {plan}", count, price, days, subscription_id)
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


@dataclass
class Draft:
    account: BillingAccount
    issuer_id: int
    lines: list[LineDraft]
    tax: Tax


def _write_drafts(
    drafts: list[Draft], start: datetime.date, end: datetime.date, run: MonthlyRun
) -> None:
    """Write a batch of customers' drafts for the period in one transaction and a fixed
    number of statements, whatever the batch's size: lock the invoices there are, insert the
    missing ones with their totals (``ON CONFLICT DO NOTHING``: a concurrent run's win is
    then locked and rewritten like any draft), replace the drafts' lines, update the totals
    of the drafts that were there. Issued invoices are left alone; a customer with nothing
    to bill gets no invoice."""
    ids = [d.account.organisation_id for d in drafts]
    with transaction.atomic():
        invoices = _locked(ids, start)
        lines = {d.account.organisation_id: _line_rows(d) for d in drafts}
        totals = {
            d.account.organisation_id: _totals(d, lines[d.account.organisation_id]) for d in drafts
        }
        new = [cid for cid in ids if cid not in invoices and lines[cid]]
        inserted: dict[int, int] = {}
        if new:
            rows = [
                {"customer_id": cid, "period_start": start, "period_end": end, **totals[cid]}
                for cid in new
            ]
            returned = insert_rows(
                Invoice, rows, ignore_conflicts=True, returning=["customer_id", "id"]
            )
            inserted = dict(returned)
            if len(inserted) < len(new):
                invoices.update(_locked([cid for cid in new if cid not in inserted], start))
        open_drafts = {cid: i for cid, i in invoices.items() if i.is_draft}
        if open_drafts:
            InvoiceLine.objects.filter(invoice__in=[i.pk for i in open_drafts.values()]).delete()
        written: list[dict[str, Any]] = []
        for cid in ids:
            if cid in inserted:
                invoice_id = inserted[cid]
            elif cid in open_drafts:
                invoice = open_drafts[cid]
                for name, value in totals[cid].items():
                    setattr(invoice, name, value)
                invoice_id = invoice.pk
            else:
                run.skipped += 1
                continue
            written += [{"invoice_id": invoice_id, **line} for line in lines[cid]]
            run.drafted += 1
        insert_rows(InvoiceLine, written)
        _update_totals(list(open_drafts.values()))


def _line_rows(draft: Draft) -> list[dict[str, Any]]:
    """The draft's invoice lines as columns, VAT per line rounded half-up."""
    rate = draft.tax.rate
    return [
        {
            "position": position,
            "kind": line.kind,
            "description": line.description[:300],
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "net": line.net,
            "vat_rate": rate,
            "vat": money(line.net * rate / 100),
            "subscription_id": line.subscription_id,
            "purchase_id": line.purchase_id,
        }
        for position, line in enumerate(draft.lines, start=1)
    ]


def _totals(draft: Draft, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """What an invoice row holds besides its customer and period (``TOTALS``): the totals
    are the sums of the lines."""
    subtotal = sum((line["net"] for line in lines), ZERO)
    tax = sum((line["vat"] for line in lines), ZERO)
    return {
        "issuer_id": draft.issuer_id,
        "currency": draft.account.currency,
        "tax_treatment": draft.tax.treatment,
        "tax_note": draft.tax.note[:300],
        "subtotal": subtotal,
        "tax": tax,
        "total": subtotal + tax,
    }


def insert_rows(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    *,
    ignore_conflicts: bool = False,
    returning: list[str] | None = None,
) -> list[tuple]:
    """``INSERT`` ``rows`` (column: value, the same columns in each) in one statement, every
    other column at its field's default; returns the ``returning`` columns of the rows
    inserted (not those a conflict skipped). ``bulk_create`` prepares every field of every
    row through the field API: at 1,000 invoices a run spent more time there than in
    PostgreSQL."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        # No RETURNING with ignore_conflicts here: the caller locks what it did not get.
        model.objects.bulk_create([model(**row) for row in rows], ignore_conflicts=ignore_conflicts)
        return []
    given = list(rows[0])
    defaults = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or f.attname in given:
            continue
        value = timezone.now() if getattr(f, "auto_now_add", False) else f.get_default()
        defaults[f.column] = f.get_db_prep_save(value, connection)
    columns = [model._meta.get_field(name).column for name in given] + list(defaults)
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 (names)
        f"VALUES {', '.join([placeholders] * len(rows))}"
        + (" ON CONFLICT DO NOTHING" if ignore_conflicts else "")
        + (f" RETURNING {', '.join(returning)}" if returning else "")
    )
    constant = list(defaults.values())
    params = [value for row in rows for value in [*row.values(), *constant]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if returning else []


TOTALS = ["issuer_id", "currency", "tax_treatment", "tax_note", "subtotal", "tax", "total"]
TOTALS_SQL = """
UPDATE {table} AS i SET {assignments}
FROM (VALUES {rows}) AS v(id, {columns})
WHERE i.id = v.id
"""


def _update_totals(invoices: list[Invoice]) -> None:
    """The drafts' totals in one ``UPDATE ... FROM (VALUES ...)``: Django's ``bulk_update``
    builds a CASE per field and row, which took 14 of 18 seconds for 1,000 drafts."""
    if not invoices:
        return
    if connection.vendor != "postgresql":
        Invoice.objects.bulk_update(invoices, [name.removesuffix("_id") for name in TOTALS])
        return
    row = "(%s, %s, %s, %s, %s, %s::numeric, %s::numeric, %s::numeric)"
    sql = TOTALS_SQL.format(
        table=Invoice._meta.db_table,
        assignments=", ".join(f"{name} = v.{name}" for name in TOTALS),
        rows=", ".join([row] * len(invoices)),
        columns=", ".join(TOTALS),
    )
    params = [
        value
        for invoice in invoices
        for value in [invoice.pk, *(getattr(invoice, name) for name in TOTALS)]
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _locked(ids: list[int], start: datetime.date) -> dict[int, Invoice]:
    rows = (
        Invoice.objects.select_for_update()
        .filter(customer_id__in=ids, period_start=start)
        .only("pk", "customer_id", "status")
    )
    return {invoice.customer_id: invoice for invoice in rows.order_by("customer_id")}


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
    # The organisation's code and parent, not the organisation: building 100,000 tree nodes
    # cost more than writing their invoices.
    return accounts.annotate(
        issuer_id=F("organisation__parent_id"), organisation_code=F("organisation__code")
    ).order_by("organisation_id")


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
    ``stop_after`` (invoices, checked between batches) is for the fault tests."""
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
    parents = {a.issuer_id for a in accounts}
    countries = {
        a.organisation_id: issuer_country(a)
        for a in BillingAccount.objects.filter(organisation_id__in=parents)
    }
    for offset in range(0, len(accounts), batch):
        if stop_after is not None and run.drafted >= stop_after:
            break
        chunk = accounts[offset : offset + batch]
        usage = _usage([a.organisation_id for a in chunk], start, end)
        drafts = []
        for account in chunk:
            home = countries.get(account.issuer_id) or issuer_country(None)
            try:
                tax = tax_for(account, home, end, rates)
            except ValidationError as error:
                run.failed[account.organisation_id] = " ".join(error.messages)
                logger.warning("invoice of %s for %s: %s", account.organisation_code, start, error)
                continue
            drafts.append(Draft(account, account.issuer_id, usage[account.organisation_id], tax))
        if drafts:
            _write_drafts(drafts, start, end, run)
    return run


def may_manage_issuer(actor: Any, issuer: Organisation) -> bool:
    """An issuer's own admins (``manage_billing`` on it) run and issue its invoices."""
    return has_permission(actor, "manage_billing", issuer)


def period_label(start: datetime.date) -> str:
    return formats.date_format(start, "F Y")
