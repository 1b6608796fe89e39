"""The Usage report in the browser: the server-drawn chart shows the seats of each day as
points (no script, nothing the CSP blocks), the period's errors show on their fields, and
the menu leads there."""

import datetime
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from billing.actions.usage import run_daily_usage
from core.actors import SYSTEM
from tests.billing.usage_data import give, mail_plan
from tests.browser.conftest import browser_test

pytestmark = browser_test

START = datetime.date(2026, 11, 1)


@pytest.fixture
def usage_month(live_cast):
    """Ten days of November: Customer One's VPN grows by a seat every other day."""
    cast = live_cast
    give(cast.customer, 1, mail_plan())
    give(cast.deep_customer, 2)
    for n in range(10):
        if n % 2 == 0:
            give(cast.customer, 1)
        run_daily_usage(START + datetime.timedelta(days=n), actor=SYSTEM)
    return cast


def test_the_usage_chart_has_a_point_per_service_and_day(usage_month, open_as, tmp_path):
    cast = usage_month
    page = open_as(cast.reseller_admin)
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    page.click("nav >> text=Reports")
    expect(page.locator("h2", has_text="Usage")).to_be_visible()
    page.fill("#id_start", "2026-11-01")
    page.fill("#id_end", "2026-11-10")
    page.click("#usage-period button[type=submit]")
    chart = page.locator("svg#usage-chart")
    expect(chart).to_be_visible()
    # VPN (Customer One and Deep Customer) and Mail: a point for each of the ten days.
    expect(chart.locator("circle.canopy-chart-point")).to_have_count(20)
    expect(chart.locator("polyline")).to_have_count(2)
    assert chart.get_attribute("data-points") == "20"
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    last_vpn = chart.locator('g[data-series="VPN"] circle title').last
    assert last_vpn.text_content() == "VPN, 10 Nov: 7"
    folder = Path(os.environ.get("CANOPY_SCREENSHOTS") or tmp_path)
    shot = folder / "usage-report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    expect(page.locator("#usage-table")).to_contain_text("Customer One")
    assert not blocked, blocked


@pytest.mark.parametrize("javascript", [True, False])
def test_a_period_ending_before_it_starts_is_an_error_on_the_field(live_cast, open_as, javascript):
    page = open_as(live_cast.customer_admin, javascript=javascript)
    page.goto(f"/billing/{live_cast.customer.pk}/reports/usage/")
    page.fill("#id_start", "2026-11-10")
    page.fill("#id_end", "2026-11-01")
    page.click("#usage-period button[type=submit]")
    expect(page.locator("#id_start_error")).to_contain_text("must not be after the last day")
    expect(page.locator("#id_start")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("svg#usage-chart")).to_have_count(0)
