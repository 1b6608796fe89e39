"""Moving a customer in Chromium: Move, pick the new reseller by typing, confirm."""

from playwright.sync_api import expect

from customers.models import Organisation
from tests.browser.conftest import browser_test

pytestmark = browser_test


def test_a_reseller_admin_moves_a_customer_to_its_sub_reseller(live_cast, open_as):
    page = open_as(live_cast.reseller_admin)
    page.goto(f"/customers/{live_cast.customer.pk}/")
    page.get_by_role("link", name="Move", exact=True).click()
    page.fill("#id_new_parent_search", "sub")
    results = page.locator("#id_new_parent_search-results")
    expect(results).to_contain_text("Reseller One / Sub Reseller")
    results.locator(f"[data-pick='{live_cast.subreseller.pk}']").click()
    # Choosing only fills the field: nothing moves before the button.
    expect(page.locator("#id_new_parent_search")).to_have_value("Sub Reseller")
    assert Organisation.objects.get(pk=live_cast.customer.pk).parent_id == live_cast.reseller.pk
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("Customer One is now below Sub Reseller")
    assert Organisation.objects.get(pk=live_cast.customer.pk).parent_id == live_cast.subreseller.pk
