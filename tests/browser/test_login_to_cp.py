"""Login to CP through the real UI: a reseller admin opens the customer's portal in a new tab,
sees the banner and Reseller One's look, creates a user, and ends the session."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from customers.models import Organisation, SecurityEvent, SecurityEventKind, Status, User
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, browser_test
from tests.fixtures.themes import reseller_host, reseller_theme, theme_of

pytestmark = browser_test

PASSWORD = "Acting-for-you-42"


def test_a_reseller_admin_acts_as_the_customers_admin_in_a_new_tab(live_cast, open_as):
    cast = live_cast
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.ACTIVE)
    reseller_theme(cast)
    # The customer wears a theme of its own: its admin sees it, the reseller admin acting for
    # the customer sees Reseller One's (the customer is no reseller).
    own = theme_of(cast.reseller, name="For Customer One", product_name="One Cloud")
    Organisation.objects.filter(pk=cast.customer.pk).update(active_theme=own)

    page = open_as(cast.reseller_admin)
    page.goto(f"/customers/{cast.customer.pk}/")
    page.fill("#login-to-cp-reason", "Ticket 4711")
    with page.context.expect_page() as opened:
        page.click("#login-to-cp button[type=submit]")
    tab = opened.value
    tab.wait_for_load_state()

    banner = tab.locator("#acting-banner")
    expect(banner).to_contain_text(f"Acting as {cast.customer_admin} for Customer One")
    expect(tab.locator("[data-brand-name]")).to_have_text("Reseller One Cloud")
    # The page left behind is still the reseller admin's own (until it is reloaded: the
    # session is one, the banner shows on every page from now on).
    expect(page.locator("#acting-banner")).to_have_count(0)

    tab.goto(f"/users/organisations/{cast.customer.pk}/new/")
    expect(banner).to_be_visible()
    tab.fill("#id_upn_local", "ann.acted")
    tab.fill("#id_first_name", "Ann")
    tab.fill("#id_last_name", "Acted")
    tab.fill("#id_username", "aacted")
    tab.fill("#id_password", PASSWORD)
    tab.fill("#id_password_repeat", PASSWORD)
    tab.click("text=Create user")
    expect(tab.locator("h1")).to_contain_text("Ann Acted")
    ann_page = tab.url
    # As the customer's people see it: their reseller, acting as their admin.
    expect(tab.locator("#user-history")).to_contain_text(
        f"your reseller acting as {cast.customer_admin} (cadmin)"
    )

    # The customer admin's own password page is out of reach while acting.
    refused = tab.goto("/users/me/password/")
    assert refused is not None and refused.status == 403

    tab.goto("/")
    tab.get_by_role("button", name="End").click()
    expect(tab).to_have_url(re.compile(rf"/customers/{cast.customer.pk}/$"))
    expect(tab.locator("#acting-banner")).to_have_count(0)
    expect(tab.locator("[data-brand-name]")).to_have_text("Reseller One Cloud")
    # The reseller admin, back as themself, reads who did it by name.
    tab.goto(ann_page)
    expect(tab.locator("#user-history")).to_contain_text(
        f"{cast.reseller_admin} (radmin) acting as {cast.customer_admin} (cadmin)"
    )

    ann = User.objects.get(username="aacted")
    record = ann.history.earliest()
    assert (record.history_user, record.history_acting_actor) == (
        cast.customer_admin,
        cast.reseller_admin,
    )
    assert list(
        SecurityEvent.objects.filter(organisation=cast.customer, kind__startswith="acting")
        .order_by("pk")
        .values_list("kind", flat=True)
    ) == [SecurityEventKind.ACTING_STARTED, SecurityEventKind.ACTING_ENDED]


def test_the_customers_admin_sees_its_own_theme_in_its_colour(live_cast, open_as):
    cast = live_cast
    reseller_theme(cast)
    own = theme_of(cast.reseller, name="For Customer One", product_name="One Cloud")
    Organisation.objects.filter(pk=cast.customer.pk).update(active_theme=own)
    page = open_as(cast.customer_admin)
    expect(page.locator("[data-brand-name]")).to_have_text("One Cloud")
    # The colour arrives through /branding.css (the CSP allows no inline style).
    colour = page.eval_on_selector(".canopy-navbar", "e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(122, 31, 92)"  # #7a1f5c


def test_the_sign_in_page_on_a_resellers_host_name_wears_its_theme(
    live_cast, live_server, chromium
):
    """A real browser asks for the reseller's own host name (mapped to the live server by
    Chromium's resolver rules, as DNS would): the sign-in page is the reseller's."""
    cast = live_cast
    reseller_theme(cast)
    host = reseller_host(cast)
    port = live_server.url.rsplit(":", 1)[1]
    rules = f"--host-resolver-rules=MAP {host.host_name} 127.0.0.1,MAP unknown.example 127.0.0.1"
    # A second Chromium of the same Playwright: resolver rules are a launch argument.
    browser = chromium.browser_type.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, rules], headless=True
    )
    try:
        page = browser.new_page()
        page.goto(f"http://{host.host_name}:{port}/login/")
        expect(page.locator("h1")).to_have_text("Log in to Reseller One Cloud")
        expect(page.locator("#sign-in-text")).to_have_text("Welcome to the reseller's portal.")
        expect(page.locator("img.canopy-sign-in-logo")).to_be_visible()
        colour = page.eval_on_selector(".canopy-navbar", "e => getComputedStyle(e).backgroundColor")
        assert colour == "rgb(122, 31, 92)"
        # A host nobody registered is refused, as ALLOWED_HOSTS always did.
        refused = page.goto(f"http://unknown.example:{port}/login/")
        assert refused is not None and refused.status == 400
    finally:
        browser.close()
