"""Signing in with two-factor sign-in, as a person does it: the password, then the code their
authenticator app shows, typed into the page Chromium renders."""

from __future__ import annotations

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from customers.actions.two_factor import new_authenticator_key
from customers.models import Organisation
from tests.browser.conftest import browser_test
from tests.browser.test_content_security_policy import Violations
from tests.browser.test_layout import OVERLAPS, TOLERANCE_PX
from tests.factories import PASSWORD

pytestmark = browser_test


def test_an_administrator_signs_in_with_the_password_then_a_code_from_the_app(
    live_cast, chromium, live_server
):
    cast = live_cast
    Organisation.objects.filter(pk=cast.provider.pk).update(require_two_factor=True)
    key = new_authenticator_key()
    TOTPDevice.objects.create(user=cast.reseller_admin, key=key, name="Phone", confirmed=True)

    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        violations = Violations()
        violations.watch(page)
        page.goto("/customers/")
        page.fill("input[name=username]", cast.reseller_admin.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/login/code/**")
        expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
        assert not page.evaluate(OVERLAPS, TOLERANCE_PX)

        # Nothing else opens before the code, not even by typing the address.
        page.goto("/users/")
        page.wait_for_url("**/login/code/**")

        page.get_by_label("Code").fill(f"{TOTP(bytes.fromhex(key)).token():06d}")
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        assert page.url.endswith("/users/")
        page.goto("/users/me/two-factor/")
        expect(page.locator("[data-two-factor-status]")).to_have_text("On")
        assert not violations, "\n".join(violations)
    finally:
        context.close()
