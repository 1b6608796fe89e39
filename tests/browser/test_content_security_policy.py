"""The pages run under their Content-Security-Policy: Chromium reports no violation.

Every page a person walks through here is watched two ways: the console (where Chromium
logs what the policy refused) and the ``securitypolicyviolation`` event, reported by a
listener Playwright installs before any of the page's own scripts run.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.models import Job
from customers.models import Organisation, Status
from tests.browser.conftest import browser_test
from tests.factories import PASSWORD

pytestmark = browser_test

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


class Violations(list):
    """What the policy refused on the pages of one browser context."""

    def watch(self, page) -> None:
        page.add_init_script(REPORT_VIOLATIONS)

        def on_console(message) -> None:
            text = message.text
            if "Content Security Policy" in text or "CSP violation" in text:
                self.append(f"{page.url}: {text}")

        page.on("console", on_console)


@pytest.fixture
def watched(chromium, live_server, browser_settings):
    """``watched(user=None)`` -> (page, violations): a page, signed in when a user is given."""
    contexts = []

    def _open(user=None):
        context = chromium.new_context(base_url=live_server.url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        violations = Violations()
        violations.watch(page)
        page.goto("/login/")
        if user is not None:
            page.fill("input[name=username]", user.username)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/login/" not in url)
        return page, violations

    yield _open
    for context in contexts:
        context.close()


def visit(page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    assert response.headers.get("content-security-policy"), f"{path}: no policy"
    page.wait_for_load_state("networkidle")


def test_the_login_page_runs_under_its_policy(watched):
    page, violations = watched()
    page.wait_for_load_state("networkidle")
    assert not violations


def test_an_administrators_pages_run_under_their_policy(live_cast, watched):
    cast = live_cast
    # A brand colour (a style sheet of its own, /branding.css) and a job with a progress bar.
    Organisation.objects.filter(pk=cast.customer.pk).update(
        brand_colour="#7a1f5c", status=Status.ACTIVE
    )
    job = Job.objects.create(
        kind="provision_customer",
        organisation=cast.customer,
        target_label=cast.customer.name,
        lock_key=f"org:{cast.customer.pk}",
        steps_total=4,
        steps_done=1,
    )
    page, violations = watched(cast.reseller_admin)
    for path in [
        "/",
        "/customers/",
        "/customers/?q=One",
        "/customers/tree/",
        f"/customers/{cast.customer.pk}/",
        f"/customers/{cast.customer.pk}/edit/",
        f"/customers/{cast.customer.pk}/roles/",
        f"/customers/{cast.customer.pk}/domains/",
        f"/customers/{cast.customer.pk}/contacts/",
        f"/customers/{cast.customer.pk}/jobs/",
        f"/customers/{cast.customer.pk}/history/",
        f"/customers/{cast.customer.pk}/security-log/",
        f"/customers/{cast.customer.pk}/themes/",
        f"/customers/{cast.reseller.pk}/themes/",
        f"/customers/{cast.reseller.pk}/themes/new/",
        "/customers/new/",
        "/users/",
        f"/users/organisations/{cast.customer.pk}/new/",
        f"/users/{cast.end_user.pk}/",
        f"/users/{cast.end_user.pk}/edit/",
        f"/users/{cast.end_user.pk}/reset-password/",
        "/jobs/",
        f"/jobs/{job.pk}/",
        "/users/me/password/",
        "/users/me/sessions/",
        # The enrolment QR code is an inline <svg>: no image request, no data: URI.
        "/users/me/two-factor/",
        "/users/me/two-factor/set-up/",
    ]:
        visit(page, path)
    assert not violations, "\n".join(violations)


def test_the_scripts_moved_out_of_the_pages_still_work(live_cast, watched):
    cast = live_cast
    page, violations = watched(cast.reseller_admin)
    # The user form suggests a username from the names (static/canopy/user_form.js).
    visit(page, f"/users/organisations/{cast.customer.pk}/new/")
    page.fill("[name=first_name]", "Grace")
    page.fill("[name=last_name]", "Hopper")
    expect(page.locator("[name=username]")).to_have_value("ghopper")
    # The hierarchy switcher: htmx lists what matches the typed name, a click on a match
    # submits it (static/canopy/canopy.js).
    visit(page, "/")
    page.fill("#context-organisation", "customer one")
    choice = page.locator(f"#context-organisation-results [data-pick='{cast.customer.pk}']")
    expect(choice).to_contain_text("Customer One")
    choice.click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#context-organisation")).to_have_value("Customer One")
    assert not violations, "\n".join(violations)
