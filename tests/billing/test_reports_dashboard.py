"""The dashboard's seats per service this month (from the daily rollup), the Reports entry in
the menu, and the dashboard's query count, flat however many customers use services."""

import datetime

import pytest
from django.utils import timezone

from billing.actions.usage import run_daily_usage
from billing.reports import usage
from core.actors import SYSTEM
from tests.billing.usage_data import give, mail_plan
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

# An admin's dashboard: session, user, home organisation, the signed-in session's row,
# scope, organisation counts, drift, job counts, user count, recent jobs (a reseller admin's
# one more), and the usage summary: one query over the snapshots of a subtree below
# DIRECT_UP_TO organisations, two above it or for a provider's whole forest (the rollup,
# the snapshots of the top).
DASHBOARD_QUERIES = {
    ("provider_admin", "rollup"): 12,
    ("reseller_admin", "direct"): 12,
    ("reseller_admin", "rollup"): 13,
}


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


@pytest.mark.parametrize("who, path", sorted(DASHBOARD_QUERIES))
def test_the_dashboard_costs_the_same_queries_with_ten_times_the_customers(
    cast, login, django_assert_num_queries, monkeypatch, who, path
):
    if path == "rollup":
        monkeypatch.setattr(usage, "DIRECT_UP_TO", 0)
    expected = DASHBOARD_QUERIES[(who, path)]
    snapshot_month(cast)
    client = login(getattr(cast, who))
    client.get("/")  # sessions and caches warm
    with django_assert_num_queries(expected):
        client.get("/")
    for n in range(10):
        reseller = OrganisationFactory(
            name=f"More {n}", code=f"MORE{n}", parent=cast.reseller, is_reseller=True
        )
        give(OrganisationFactory(name=f"Sub {n}", code=f"SUB{n}", parent=reseller), 2)
    for day in days():
        run_daily_usage(day, actor=SYSTEM)
    with django_assert_num_queries(expected):
        page = client.get("/")
    # Customer One's 2 and Deep Customer's 3, 2 in each of ten more; the provider also 5 of
    # Customer Two.
    assert (
        "VPN",
        30 if who == "provider_admin" else 25,
        30 if who == "provider_admin" else 25,
    ) in (summary(page))
