"""The API page: Swagger UI from static/, started without inline script, under the portal's
Content-Security-Policy, reading the schema with the signed-in session."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import browser_test
from tests.browser.test_content_security_policy import visit, watched  # noqa: F401

pytestmark = browser_test


def test_the_api_page_shows_the_operations_under_the_policy(live_cast, watched):  # noqa: F811
    page, violations = watched(live_cast.customer_admin)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    visit(page, "/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.get_by_text("/api/v1/organisations/").first).to_be_visible()
    assert not violations
    outside = [url for url in requested if not url.startswith(page.url.split("/api/")[0])]
    assert not outside, f"loaded from outside the portal: {outside}"
