"""Billing's columns, sorts, filters and CSV columns on the Customers list (registered in
core.registry, so customers never imports billing)."""

import csv
import datetime
import io
import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from billing.actions.accounts import account_for, update_profile
from billing.actions.ledger import credit
from billing.actions.payments import mark_overdue
from billing.actions.provider import set_storage_regions
from billing.actions.quotas import set_credit_quota
from billing.models import StorageRegion
from core.actors import SYSTEM
from customers.models import Organisation
from tests.fixtures.invoices import issued_invoice

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def billed(cast):
    set_storage_regions(actor=SYSTEM, provider=cast.provider, names=["EU West", "US East"])
    eu, us = StorageRegion.objects.order_by("name")
    low = account_for(cast.customer)
    update_profile(
        actor=SYSTEM,
        account=low,
        changes={
            "unit_warn_level": 10,
            "cutoff_balance": 0,
            "licence_expiry_date": TODAY + 10 * DAY,
            "storage_region": eu,
        },
    )
    credit(actor=SYSTEM, account=low, units=5, description="Opening")
    set_credit_quota(
        actor=SYSTEM, account=low, amount=100, effective_date=TODAY - DAY, end_date=TODAY + DAY
    )
    high = account_for(cast.deep_customer)
    update_profile(
        actor=SYSTEM,
        account=high,
        changes={"licence_expiry_date": TODAY + 60 * DAY, "storage_region": us},
    )
    credit(actor=SYSTEM, account=high, units=50, description="Opening")
    return eu, us


def names(response):
    return [row.record.name for row in response.context["table"].paginated_rows]


def test_columns_sort_by_balance_and_expiry_with_the_arrow(cast, login, billed):
    client = login(cast.reseller_admin)
    url = reverse("customers:list")
    page = client.get(url, {"sort": "-billing_balance"})
    assert names(page)[:2] == ["Deep Customer", "Customer One"]
    assert b'aria-sort="descending"' in page.content and b"Balance" in page.content
    for header in (b"Credit Quota", b"Quota Effective Date", b"Expiry", b"Storage Region"):
        assert header in page.content
    page = client.get(url, {"sort": "licence_expiry"})
    assert names(page)[:2] == ["Customer One", "Deep Customer"]
    page = client.get(url, {"sort": "-credit_quota"})
    assert names(page)[0] == "Customer One"
    page = client.get(url, {"sort": "quota_effective_date"})
    assert names(page)[0] == "Customer One"


def test_filters_below_warn_at_cutoff_expiring_and_regions(cast, login, billed):
    eu, us = billed
    client = login(cast.reseller_admin)
    url = reverse("customers:list")
    warned = client.get(url, {"balance": "warn"})
    assert names(warned) == ["Customer One"]
    # Counted without billing's columns, but with their filters.
    assert warned.context["table"].paginator.count == 1
    assert names(client.get(url, {"balance": "cutoff"})) == []
    assert names(client.get(url, {"licence": "30"})) == ["Customer One"]
    assert names(client.get(url, {"storage_region": [us.pk]})) == ["Deep Customer"]
    both = client.get(url, {"storage_region": [eu.pk, us.pk], "sort": "name"})
    assert names(both) == ["Customer One", "Deep Customer"]
    bad = client.get(url, {"balance": "rich"})
    assert "balance" in bad.context["filter"].form.errors


def test_the_csv_has_the_billing_columns_and_follows_the_filters(cast, login, billed):
    export = login(cast.reseller_admin).get(
        reverse("customers:export"), {"licence": "30", "sort": "-billing_balance"}
    )
    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    header = lines[0]
    assert header[-5:] == [
        "Balance",
        "Credit Quota",
        "Quota Effective Date",
        "Expiry",
        "Storage Region",
    ]
    assert len(lines) == 2
    row = dict(zip(header, lines[1], strict=True))
    assert row["Full Name"] == "Customer One"
    assert (row["Balance"], row["Credit Quota"], row["Storage Region"]) == (
        "5.00",
        "100.00",
        "EU West",
    )
    assert row["Expiry"] == (TODAY + 10 * DAY).isoformat()


def test_the_balance_due_column_sorts_and_the_overdue_filter_finds_late_payers(cast, login):
    invoice = issued_invoice(cast)  # 119.00, due 2026-12-31
    client = login(cast.reseller_admin)
    url = reverse("customers:list")
    page = client.get(url, {"sort": "-balance_due"})
    assert names(page)[0] == "Customer One"
    assert b"Balance Due" in page.content and b"119.00" in page.content
    assert names(client.get(url, {"invoices": "overdue"})) == []
    mark_overdue(invoice.due_on + DAY, actor=SYSTEM)
    assert names(client.get(url, {"invoices": "overdue"})) == ["Customer One"]
    assert "invoices" in client.get(url, {"invoices": "late"}).context["filter"].form.errors


def test_the_plain_rows_show_what_django_tables2_would_render(cast, login, billed, settings):
    """The table's rows are written by a plain template (customers/tables.py says why); each
    cell says what django-tables2's per-cell rendering says for the same column, billing's
    registered columns (amounts, dates, empty values) included."""
    settings.LANGUAGE_CODE = "de"  # localised amounts and dates
    issued_invoice(cast)
    Organisation.objects.filter(pk=cast.deep_customer.pk).update(code="")
    response = login(cast.provider_admin).get(reverse("customers:list"), {"sort": "name"})
    table = response.context["table"]
    cell = Template("{{ cell }}")
    expected = [
        [cell.render(Context({"cell": value})).strip() for _column, value in row.items()]
        for row in table.paginated_rows
    ]
    body = response.content.decode().split("<tbody", 1)[1].split("</tbody>", 1)[0]
    shown = [
        [value.strip() for value in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]
    assert len(shown) == len(expected) > 4
    # The tick box is an input either way; its attributes' order differs.
    assert [row[1:] for row in shown] == [row[1:] for row in expected]
    for row, record in zip(shown, (row.record for row in table.paginated_rows), strict=True):
        assert f'value="{record.pk}"' in row[0] and f"{record.name} auswählen" in row[0]
    assert any("119,00" in row for row in shown) and any("—" in row for row in shown)
