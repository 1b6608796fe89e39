"""The dashboard's seats per service this month (from the daily rollup), the Reports entry in
the menu, and the dashboard's query count, flat however many customers use services."""

import datetime

import pytest
from django.utils import timezone

from billing.actions.usage import run_daily_usage
from core.actors import SYSTEM
from tests.billing.usage_data import give, mail_plan
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

# Provider admin's dashboard: session, user, home organisation, the signed-in session's row,
# scope, organisation counts, job counts, user count, recent jobs, and the usage summary's
# two (the rollup; the snapshots of the top of the subtree).
PROVIDER_DASHBOARD_QUERIES = 11


def days():
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    return sorted({yesterday.replace(day=1), yesterday})


def snapshot_month(cast):
    give(cast.customer, 2)
    give(cast.customer, 1, mail_plan())
    give(cast.deep_customer, 3)
    give(cast.customer2, 5)
    for day in days():
        run_daily_usage(day, actor=SYSTEM)


def summary(page):
    return {(row.service, row.latest, row.peak) for row in page.context["usage_summary"]}


def test_each_admin_sees_the_seats_of_their_own_subtree_this_month(cast, login):
    snapshot_month(cast)
    assert summary(login(cast.provider_admin).get("/")) == {("VPN", 10, 10), ("Mail", 1, 1)}
    assert summary(login(cast.reseller_admin).get("/")) == {("VPN", 5, 5), ("Mail", 1, 1)}
    assert summary(login(cast.customer_admin).get("/")) == {("VPN", 2, 2), ("Mail", 1, 1)}
    assert summary(login(cast.reseller2_admin).get("/")) == {("VPN", 5, 5)}
    assert summary(login(cast.help_desk).get("/")) == set()
    page = login(cast.reseller_admin).get("/").content.decode()
    assert 'id="usage-summary"' in page
    assert f'href="/billing/{cast.reseller.pk}/reports/usage/">Reports</a>' in page


def test_the_reports_entry_follows_the_organisation_acted_in(cast, login):
    client = login(cast.provider_admin)
    client.post("/context/", {"organisation": cast.customer.pk, "next": "/"})
    page = client.get("/")
    assert f'href="/billing/{cast.customer.pk}/reports/usage/">Reports</a>' in (
        page.content.decode()
    )
    assert 'href="/billing/' not in login(cast.help_desk).get("/").content.decode()


def test_the_dashboard_costs_the_same_queries_with_ten_times_the_customers(
    cast, login, django_assert_num_queries
):
    snapshot_month(cast)
    client = login(cast.provider_admin)
    client.get("/")  # sessions and caches warm
    with django_assert_num_queries(PROVIDER_DASHBOARD_QUERIES):
        client.get("/")
    for n in range(10):
        reseller = OrganisationFactory(
            name=f"More {n}", code=f"MORE{n}", parent=cast.provider, is_reseller=True
        )
        give(OrganisationFactory(name=f"Sub {n}", code=f"SUB{n}", parent=reseller), 2)
    for day in days():
        run_daily_usage(day, actor=SYSTEM)
    with django_assert_num_queries(PROVIDER_DASHBOARD_QUERIES):
        page = client.get("/")
    assert ("VPN", 30, 30) in summary(page)
