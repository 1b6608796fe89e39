"""What billing adds to the Customers list (through ``core.registry.ListExtension``): the
Balance Due (invoices less credit notes and payments) and the filter "overdue", the unit
balance, credit quota, Quota Effective Date, License Expiry Date and Storage Region columns,
the sorts on them, the filters "below warn level", "at or below cutoff", "licence expires
within 30 days" and Storage Region, and the same columns in the CSV export.

Each column is one subquery in the list's one query, so the page's query count stays the
same however many rows it shows.
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import (
    BillingAccount,
    CreditNote,
    CreditQuota,
    Invoice,
    InvoiceStatus,
    Payment,
    StorageRegion,
)
from core.registry import ListExtension

EXPIRING_DAYS = 30


def _account_value(field: str) -> Subquery:
    return Subquery(BillingAccount.objects.filter(organisation=OuterRef("pk")).values(field)[:1])


def _quota_value(field: str) -> Subquery:
    today = timezone.localdate()
    current = CreditQuota.objects.filter(
        account__organisation=OuterRef("pk"), effective_date__lte=today, end_date__gte=today
    ).order_by("-effective_date", "-pk")
    return Subquery(current.values(field)[:1])


MONEY = DecimalField(max_digits=14, decimal_places=2)


def _total(queryset, field: str) -> Coalesce:
    """The sum of ``field`` over ``queryset``'s rows of the outer organisation, or 0."""
    summed = (
        queryset.filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(summed, output_field=MONEY), Value(0, output_field=MONEY))


def balance_due() -> object:
    """Issued invoices less credit notes and payments (billing.actions.payments.balance_due,
    as one expression of the list's query)."""
    return (
        _total(Invoice.objects.exclude(status=InvoiceStatus.DRAFT), "total")
        - _total(CreditNote.objects.all(), "total")
        - _total(Payment.objects.all(), "amount")
    )


def annotations() -> dict[str, Subquery]:
    return {
        "balance_due": balance_due(),
        "billing_balance": _account_value("balance"),
        "credit_quota": _quota_value("amount"),
        "quota_effective_date": _quota_value("effective_date"),
        "licence_expiry": _account_value("licence_expiry_date"),
        "storage_region_name": _account_value("storage_region__name"),
    }


BALANCE_STATES = [("warn", _("Below warn level")), ("cutoff", _("At or below cutoff"))]
EXPIRY_STATES = [("30", _("Licence expires within 30 days"))]


def _balance(queryset, name, value):
    accounts = BillingAccount.objects.filter(organisation=OuterRef("pk"))
    if value == "warn":
        accounts = accounts.filter(unit_warn_level__isnull=False, balance__lte=F("unit_warn_level"))
    elif value == "cutoff":
        accounts = accounts.filter(cutoff_balance__isnull=False, balance__lte=F("cutoff_balance"))
    else:
        return queryset
    return queryset.filter(Exists(accounts))


def _expiring(queryset, name, value):
    if not value:
        return queryset
    today = timezone.localdate()
    soon = today + datetime.timedelta(days=EXPIRING_DAYS)
    return queryset.filter(
        Exists(
            BillingAccount.objects.filter(
                organisation=OuterRef("pk"), licence_expiry_date__range=(today, soon)
            )
        )
    )


def _regions(queryset, name, value):
    if not value:
        return queryset
    placed = BillingAccount.objects.filter(organisation=OuterRef("pk"), storage_region__in=value)
    return queryset.filter(Exists(placed))


def _invoices(queryset, name, value):
    if value != "overdue":
        return queryset
    overdue = Invoice.objects.filter(customer=OuterRef("pk"), status=InvoiceStatus.OVERDUE)
    return queryset.filter(Exists(overdue))


INVOICE_STATES = [("overdue", _("Overdue invoices"))]


def filters(scope) -> dict[str, django_filters.Filter]:
    regions = StorageRegion.objects.filter(
        Q(provider__in=scope.filter(parent__isnull=True).values("pk"))
        | Q(accounts__organisation__in=scope.values("pk"))
    ).distinct()
    return {
        "balance": django_filters.ChoiceFilter(
            label=_("Balance"),
            choices=BALANCE_STATES,
            empty_label=_("Any balance"),
            method=_balance,
            widget=forms.Select(attrs={"class": "form-select"}),
        ),
        "invoices": django_filters.ChoiceFilter(
            label=_("Invoices"),
            choices=INVOICE_STATES,
            empty_label=_("Any invoices"),
            method=_invoices,
            widget=forms.Select(attrs={"class": "form-select"}),
        ),
        "licence": django_filters.ChoiceFilter(
            label=_("License Expiry Date"),
            choices=EXPIRY_STATES,
            empty_label=_("Any expiry"),
            method=_expiring,
            widget=forms.Select(attrs={"class": "form-select"}),
        ),
        "storage_region": django_filters.ModelMultipleChoiceFilter(
            label=_("Storage Region"),
            queryset=regions.only("pk", "name"),
            method=_regions,
            # Check boxes like the list's other multi-selects (core.filters.MultiSelectFilterMixin
            # gives them their summary).
            widget=forms.CheckboxSelectMultiple,
        ),
    }


COLUMNS = [
    ("balance_due", _("Balance Due"), True),
    ("billing_balance", _("Balance"), True),
    ("credit_quota", _("Credit Quota"), True),
    ("quota_effective_date", _("Quota Effective Date"), True),
    ("licence_expiry", _("Expiry"), True),
    ("storage_region_name", _("Storage Region"), False),
]

LIST_EXTENSION = ListExtension(
    "billing",
    annotations=annotations,
    columns=COLUMNS,
    filters=filters,
    export=[(name, label) for name, label, _sortable in COLUMNS],
)
