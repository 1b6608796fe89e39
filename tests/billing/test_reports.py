"""The Reports: Usage (seats per customer and service per day, peak, average, the chart from
the daily rollup) and Licence (VOSS's licence reporting fields and seats per service), as pages
and as CSV and XLSX files, each scoped to the organisation's subtree."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from billing.actions.reports import roll_up
from billing.actions.usage import run_daily_usage
from billing.models import UsageRollup, UsageSnapshot
from billing.reports import usage
from billing.reports.usage import Period
from core.actors import SYSTEM
from core.scoping import within
from tests.billing.usage_data import DAY1, DAY2, give, mail_plan, used_fixture  # noqa: F401
from tests.factories import OrganisationFactory
from tests.fixtures.catalogue import vpn_plan

pytestmark = pytest.mark.django_db

NOVEMBER = Period(DAY1, datetime.date(2026, 11, 30))


def totals_from_snapshots(root, period):
    rows = (
        UsageSnapshot.objects.filter(
            within(root, "organisation__"), day__range=(period.start, period.end)
        )
        .exclude(subscription__service__service_type="reseller")
        .values_list("subscription__service__name", "day")
        .annotate(total=Sum("seats"))
    )
    return {(name, day): total for name, day, total in rows}


def flatten(totals):
    return {(name, day): seats for name, days in totals.items() for day, seats in days.items()}


def test_the_daily_run_rolls_up_seats_per_issuer_service_and_day(used):
    cast = used
    vpn = vpn_plan().service
    rolled = {
        (row.issuer_id, row.service_id): row.seats for row in UsageRollup.objects.filter(day=DAY1)
    }
    assert rolled[(cast.reseller.pk, vpn.pk)] == 2  # Customer One's VPN
    assert rolled[(cast.subreseller.pk, vpn.pk)] == 3  # Deep Customer
    assert rolled[(cast.provider.pk, vpn.pk)] == 1  # Reseller One's own seat
    assert rolled[(cast.reseller2.pk, vpn.pk)] == 5
    assert UsageRollup.objects.get(issuer=cast.reseller, service=vpn, day=DAY2).seats == 4
    # A second run of the day gives the same rows.
    before = list(UsageRollup.objects.filter(day=DAY1).values_list("issuer", "service", "seats"))
    roll_up(DAY1)
    after = list(UsageRollup.objects.filter(day=DAY1).values_list("issuer", "service", "seats"))
    assert sorted(before) == sorted(after)


@pytest.fixture
def through_the_rollup(monkeypatch):
    """Every subtree counts as large: the chart reads the rollup, as it does past
    ``DIRECT_UP_TO`` organisations."""
    monkeypatch.setattr(usage, "DIRECT_UP_TO", 0)


@pytest.mark.parametrize("who", ["provider", "reseller", "subreseller", "customer", "reseller2"])
@pytest.mark.parametrize("path", ["direct", "rollup"])
def test_the_chart_equals_the_sum_of_the_subtrees_snapshots(used, who, path, monkeypatch):
    if path == "rollup":
        monkeypatch.setattr(usage, "DIRECT_UP_TO", 0)
    root = getattr(used, who)
    assert flatten(usage.daily_totals(root, NOVEMBER)) == totals_from_snapshots(root, NOVEMBER)


@pytest.mark.usefixtures("through_the_rollup")
def test_a_reseller_sees_its_subtree_with_peak_and_average_and_a_chart(used, login):
    cast = used
    page = login(cast.reseller_admin).get(
        reverse("billing:report_usage", args=[cast.reseller.pk]),
        {"start": "2026-11-01", "end": "2026-11-30"},
    )
    assert page.status_code == 200
    rows = [
        (s.organisation.code, s.service.name, peak, average)
        for s, peak, average in page.context["rows"]
    ]
    assert rows == [
        ("RONE", "VPN", 1, Decimal("1.00")),
        ("CDEEP", "VPN", 3, Decimal("3.00")),
        ("CONE", "Mail", 1, Decimal("1.00")),
        ("CONE", "VPN", 4, Decimal("3.00")),
    ]
    html = page.content.decode()
    assert "CTWO" not in html and "Customer Two" not in html
    assert 'id="usage-chart"' in html and "<circle" in html
    # Per day: Reseller One, Customer One and Deep Customer: 6 VPN on day 1, 8 on day 2.
    assert "VPN, 01 Nov: 6</title>" in html and "VPN, 02 Nov: 8</title>" in html
    assert "<script" not in html.split('id="usage-chart"')[1].split("</svg>")[0]


def test_a_customer_admin_sees_only_its_own_usage(used, login):
    cast = used
    client = login(cast.customer_admin)
    page = client.get(
        reverse("billing:report_usage", args=[cast.customer.pk]),
        {"start": "2026-11-01", "end": "2026-11-30"},
    )
    assert {s.organisation.code for s, _peak, _average in page.context["rows"]} == {"CONE"}
    assert client.get(reverse("billing:report_usage", args=[cast.reseller.pk])).status_code == 404


@pytest.mark.parametrize(
    "start, end, field, message",
    [
        ("2026-11-10", "2026-11-01", "start", "must not be after the last day"),
        ("2024-01-01", "2026-11-30", "start", "at most 366 days"),
        ("2026-11-01", "2999-01-01", "end", "a day before today"),
        ("2026-11-01", "not a date", "end", "Enter a valid date"),
        ("", "2026-11-30", "start", "This field is required"),
    ],
)
def test_a_wrong_period_is_an_error_on_its_field(cast, login, start, end, field, message):
    page = login(cast.reseller_admin).get(
        reverse("billing:report_usage", args=[cast.reseller.pk]), {"start": start, "end": end}
    )
    assert page.status_code == 200
    assert message in " ".join(page.context["form"].errors[field])
    assert f'id="id_{field}_error"' in page.content.decode()
    assert "usage-chart" not in page.content.decode()


def test_the_first_visit_shows_the_last_thirty_days_without_errors(cast, login):
    page = login(cast.reseller_admin).get(reverse("billing:report_usage", args=[cast.reseller.pk]))
    assert page.status_code == 200 and not page.context["form"].errors
    assert (page.context["period"].end - page.context["period"].start).days == 29


def test_the_usage_csv_has_a_row_per_customer_and_service_and_a_column_per_day(used, login):
    cast = used
    response = login(cast.reseller_admin).get(
        reverse("billing:report_usage_download", args=[cast.reseller.pk]),
        {"start": "2026-11-01", "end": "2026-11-03", "format": "csv"},
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "usage-RONE-2026-11-01-2026-11-03.csv" in response["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0] == [
        "Code",
        "Customer",
        "Service",
        "Peak",
        "Average",
        "2026-11-01",
        "2026-11-02",
        "2026-11-03",
    ]
    assert ["CONE", "Customer One", "VPN", "4", "3.00", "2", "4", ""] in lines
    assert {line[0] for line in lines[1:]} == {"RONE", "CONE", "CDEEP"}


def test_the_usage_xlsx_opens_with_the_same_rows(used, login):
    cast = used
    response = login(cast.provider_admin).get(
        reverse("billing:report_usage_download", args=[cast.provider.pk]),
        {"start": "2026-11-01", "end": "2026-11-02", "format": "xlsx"},
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:5] == ["Code", "Customer", "Service", "Peak", "Average"]
    assert ["CTWO", "Customer Two", "VPN", 5, 5, 5, 5] in values


def test_a_download_in_an_unknown_format_goes_back_to_the_page_with_a_message(cast, login):
    response = login(cast.reseller_admin).get(
        reverse("billing:report_usage_download", args=[cast.reseller.pk]), {"format": "pdf"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("billing:report_usage", args=[cast.reseller.pk]))


def test_the_licence_csv_has_the_voss_columns_and_seats_per_service(used, login):
    cast = used
    cast.customer.external_id = "EXT-1"
    cast.customer.account_id = "ACC-9"
    cast.customer.deal_ids = ["D1", "D2"]
    cast.customer.public_sector = True
    cast.customer.save()
    cast.deep_customer.inactive_billing = True
    cast.deep_customer.external_id = "=cmd()"
    cast.deep_customer.save()
    response = login(cast.reseller_admin).get(
        reverse("billing:report_licence_download", args=[cast.reseller.pk]), {"format": "csv"}
    )
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0] == [
        "Code",
        "Customer",
        "External Customer ID",
        "Account ID",
        "Deal IDs",
        "Public Sector",
        "Inactive Billing",
        "Directory account",
        "Mail",
        "VPN",
    ]
    by_code = {line[0]: line for line in lines[1:]}
    assert set(by_code) == {"CONE", "CDEEP"}  # customers only; not Customer Two
    assert by_code["CONE"] == [
        "CONE",
        "Customer One",
        "EXT-1",
        "ACC-9",
        "D1, D2",
        "yes",
        "no",
        "0",
        "1",
        "4",
    ]
    assert by_code["CDEEP"][2] == "'=cmd()"  # a formula is text, not run
    assert by_code["CDEEP"][6] == "yes"


def test_the_licence_page_lists_the_subtrees_customers(used, login):
    cast = used
    page = login(cast.provider_admin).get(
        reverse("billing:report_licence", args=[cast.provider.pk])
    )
    html = page.content.decode()
    assert page.status_code == 200
    for code in ("CONE", "CDEEP", "CTWO"):
        assert f'data-customer="{code}"' in html
    assert 'data-customer="RONE"' not in html


def test_the_file_writers_defuse_formulas_in_csv_and_xlsx():
    from billing.reports import files

    rows = [["=1+1", 3, Decimal("2.50"), True, DAY1, None]]
    text = files.table_file(["A", "B", "C", "D", "E", "F"], rows, "csv").decode()
    assert text.splitlines()[1] == "'=1+1,3,2.50,yes,2026-11-01,"
    sheet = load_workbook(io.BytesIO(files.table_file(["A"], rows, "xlsx"))).active
    cell = sheet["A2"]
    assert cell.value == "=1+1" and cell.data_type == "s"
    response = files.table_response("a b/c", ["A"], rows, "xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="a-b-c.xlsx"'


def more_customers(cast, count=8):
    for n in range(count):
        customer = OrganisationFactory(name=f"Extra {n}", code=f"EXTRA{n}", parent=cast.reseller)
        give(customer, 2)
        give(customer, 1, mail_plan())
    run_daily_usage(DAY1, actor=SYSTEM)
    run_daily_usage(DAY2, actor=SYSTEM)


@pytest.mark.parametrize(
    "name, query",
    [
        ("billing:report_usage", {"start": "2026-11-01", "end": "2026-11-30"}),
        ("billing:report_licence", {}),
    ],
)
def test_a_report_page_costs_the_same_queries_with_more_customers(
    used, login, django_assert_num_queries, name, query
):
    cast = used
    client = login(cast.reseller_admin)
    url = reverse(name, args=[cast.reseller.pk])
    client.get(url, query)
    with CaptureQueriesContext(connection) as before:
        client.get(url, query)
    more_customers(cast)
    assert len(before) == REPORT_PAGE_QUERIES[name]
    with django_assert_num_queries(REPORT_PAGE_QUERIES[name]):
        page = client.get(url, query)
    assert "EXTRA7" in page.content.decode()


# Session, user, home organisation, the session's row, scope, the organisation, the
# subscription control, then the report's own (usage: count, page, peaks, the chart: one
# query below DIRECT_UP_TO organisations, two above; licence: services, count, page, seats).
REPORT_PAGE_QUERIES = {"billing:report_usage": 12, "billing:report_licence": 12}
