"""Sessions through the real UI: a user signed in on two browsers ends the other one."""

import re

from playwright.sync_api import expect

from customers.models import SecurityEvent, SecurityEventKind
from tests.browser.conftest import browser_test

pytestmark = browser_test


def test_a_user_ends_their_other_session_and_that_browser_is_signed_out(live_cast, open_as):
    laptop = open_as(live_cast.end_user)
    phone = open_as(live_cast.end_user)

    laptop.click("text=My services")
    laptop.click("text=My sessions")
    expect(laptop.locator("h1")).to_have_text("My sessions")
    rows = laptop.locator("#sessions tbody tr")
    expect(rows).to_have_count(2)
    expect(laptop.locator("#sessions tr[data-current]")).to_contain_text("This session")
    laptop.locator("#sessions tbody tr:not([data-current])").get_by_role(
        "button", name="End session"
    ).click()
    expect(laptop.locator("[role=alert]").first).to_contain_text("The session was ended.")
    expect(rows).to_have_count(1)

    phone.goto("/users/me/")
    expect(phone).to_have_url(re.compile(r"/login/"))
    expect(phone.locator("input[name=username]")).to_be_visible()

    laptop.goto("/users/me/")
    expect(laptop).not_to_have_url(re.compile(r"/login/"))
    assert SecurityEvent.objects.filter(
        kind=SecurityEventKind.SESSION_ENDED, subject=live_cast.end_user
    ).exists()
