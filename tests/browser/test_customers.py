"""The customer workflows of issue 3, driven through the real UI in headless Chromium.

No worker runs here: jobs are recorded (and visible) but not executed. Where a test needs
the state a finished job would leave (active, deprovisioned), it sets the status on the
model directly, and says so.
"""

import re

import pytest
from playwright.sync_api import expect

from core.models import Job
from customers.models import Organisation, Status, User
from tests.browser.conftest import browser_test
from tests.factories import OrganisationFactory

pytestmark = browser_test


def test_quick_create(live_cast, open_as):
    page = open_as(live_cast.reseller_admin)
    page.click("text=Customers")
    page.click("text=Quick create")
    page.fill("#id_name", "Initech, Inc.")
    page.fill("#id_email", "bill@initech.example")
    page.fill("#id_domain_name", "initech.example")
    page.click("button[name=save]")
    expect(page.locator("h1")).to_contain_text("Create the administrator of Initech, Inc.")
    org = Organisation.objects.get(name="Initech, Inc.")
    assert org.code == "INITECHINC"
    assert org.parent_id == live_cast.reseller.pk
    assert org.status == Status.DRAFT


def test_detailed_create_through_the_whole_wizard(live_cast, open_as):
    from tests.customers.helpers import in_directory

    # Save/Provision builds the customer inside its reseller's OU: the reseller must be there.
    in_directory(live_cast.reseller)
    page = open_as(live_cast.reseller_admin)
    page.goto("/customers/new/")
    page.fill("#id_name", "Globex <Corporation>")
    page.fill("#id_contact_name", "Hank Scorpio")
    page.fill("#id_email", "hank@globex.example")
    page.select_option("#id_customer_type", "test")
    page.fill("#id_domain_name", "globex.example")
    # Domain Aliases: type one, Update; another, Update; remove the first.
    page.fill("#id_domain_aliases", "first-alias.example")
    page.click("button[name=alias_update]")
    page.fill("#id_domain_aliases", "second-alias.example")
    page.click("button[name=alias_update]")
    page.click("button[name=alias_remove][value='0']")
    expect(page.locator("input[value='second-alias.example']")).to_have_count(1)
    expect(page.locator("input[value='first-alias.example']")).to_have_count(0)
    expect(page.locator("#id_name")).to_have_value("Globex <Corporation>")
    page.fill("#id_city", "Cypress Creek")
    page.fill("#id_deal_ids_text", "D-1, D-2")
    page.click("summary:has-text('Advanced properties')")
    page.fill("#id_password_min_length", "10")
    page.fill("#id_user_limit", "25")
    page.click("button[name=save_provision]")

    expect(page.locator("h1")).to_contain_text("Create the administrator of Globex <Corporation>")
    org = Organisation.objects.get(name="Globex <Corporation>")
    assert org.status == Status.PROVISIONING
    assert sorted(org.domains.values_list("name", flat=True)) == [
        "globex.example",
        "second-alias.example",
    ]
    page.fill("#id_upn_local", "hank")
    page.select_option("#id_upn_domain", "second-alias.example")
    page.fill("#id_username", "hscorpio")
    page.fill("#id_first_name", "Hank")
    page.fill("#id_last_name", "Scorpio")
    page.fill("#id_email", "hank@globex.example")
    page.fill("#id_password", "Short1!")
    page.fill("#id_password2", "Short1!")
    page.click("button[name=create]")
    expect(page.locator("#id_password_error")).to_contain_text("at least 10 characters")
    page.fill("#id_password", "Volcano-Lair-2024")
    page.fill("#id_password2", "Volcano-Lair-2024")
    page.click("button[name=create]")

    expect(page.locator("h1")).to_contain_text("Provision services to")
    # Reseller One holds the Reseller service, so it can pass that on; the step is skippable.
    expect(page.locator("[data-list=offered-plans]")).to_contain_text("Reseller")
    expect(page.get_by_role("link", name="Provision services")).to_be_visible()
    page.click("text=Skip")
    expect(page.locator("h1")).to_contain_text("is created")
    expect(page.locator("[data-field=administrators]")).to_contain_text("hank@second-alias.example")
    expect(page.locator("[data-field=jobs]")).to_contain_text("Provision organisation")
    expect(page.locator("[data-field=jobs]")).to_contain_text("Create user")
    admin = User.objects.get(username="hscorpio")
    assert admin.is_admin and admin.organisation == org
    assert Job.objects.filter(organisation=org).count() == 2


def tick(page, name: str, value: str) -> None:
    """Open a multi-select filter, tick one value, Apply (with or without JavaScript)."""
    multi = page.locator(f"#customer-filters [data-multi]:has(input[name={name}])")
    multi.locator("summary").click()
    multi.locator(f"input[value={value}]").check()
    multi.locator("button[type=submit]").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_search_filter_sort_and_page_together(live_cast, open_as, javascript):
    for n in range(30):
        OrganisationFactory(name=f"Bulk {n:02}", parent=live_cast.reseller)
    OrganisationFactory(name="Bulk Demo", parent=live_cast.reseller, customer_type="demo")
    page = open_as(live_cast.reseller_admin, javascript=javascript)
    page.goto("/customers/")
    page.fill("#id_q", "Bulk")
    page.click("#customer-filters-apply")
    expect(page.locator("[data-count=results]")).to_have_text("31")
    tick(page, "customer_type", "standard")
    expect(page.locator("[data-count=results]")).to_have_text("30")
    page.click("#customers-table th a:has-text('Full Name')")  # default is name ascending
    expect(page.locator("#customers-table th[aria-sort=descending]")).to_contain_text("▼")
    expect(page.locator("#customers-table tbody tr").first).to_contain_text("Bulk 29")
    page.click(".pagination a:has-text('2')")
    expect(page.locator("#customers-table tbody tr")).to_have_count(5)
    expect(page.locator("#customers-table tbody tr").first).to_contain_text("Bulk 04")
    expect(page.locator("#customers-table th[aria-sort=descending]")).to_contain_text("Full Name")
    expect(page.locator("#id_q")).to_have_value("Bulk")
    assert "Bulk Demo" not in page.content()
    expect(page).to_have_url(re.compile(r"page=2"))
    for part in ("q=Bulk", "customer_type=standard", "sort=-name"):
        assert part in page.url
    # A filter changed now keeps the sort, and starts again at page 1.
    tick(page, "status", "draft")
    expect(page.locator("#customers-table tbody tr").first).to_contain_text("Bulk 29")
    expect(page.locator("#customers-table th[aria-sort=descending]")).to_contain_text("Full Name")
    export = page.locator("a:has-text('Export CSV')").get_attribute("href")
    assert "q=Bulk" in export and "customer_type=standard" in export


def test_create_similar(live_cast, open_as):
    Organisation.objects.filter(pk=live_cast.customer.pk).update(
        password_min_length=14, customer_type="demo", user_limit=9
    )
    page = open_as(live_cast.reseller_admin)
    page.goto(f"/customers/{live_cast.customer.pk}/")
    page.click("text=Create Similar")
    expect(page.locator("#id_name")).to_have_value("")
    expect(page.locator("#id_customer_type")).to_have_value("demo")
    page.fill("#id_name", "Customer One Bis")
    page.fill("#id_domain_name", "one-bis.example")
    page.click("button[name=save]")
    expect(page.locator("h1")).to_contain_text("Create the administrator of Customer One Bis")
    twin = Organisation.objects.get(name="Customer One Bis")
    assert (twin.password_min_length, twin.customer_type, twin.user_limit) == (14, "demo", 9)
    assert twin.parent_id == live_cast.reseller.pk
    assert twin.code != live_cast.customer.code


def test_suspend_deprovision_delete_restore(live_cast, open_as):
    org = live_cast.customer
    # No worker runs in this test: put the customer where its provisioning job would have.
    Organisation.objects.filter(pk=org.pk).update(status=Status.ACTIVE)
    page = open_as(live_cast.reseller_admin)
    page.goto(f"/customers/{org.pk}/")
    page.click("[aria-label=Actions] >> text=Suspend")
    page.click("button:has-text('Suspend')")
    expect(page.locator("[data-field=status]")).to_have_text("Suspended")
    page.click(".nav-tabs >> text=Jobs")
    expect(page.locator("#jobs")).to_contain_text("Suspend organisation")
    expect(page.locator("#jobs")).to_contain_text("Queued")
    page.click("[aria-label=Actions] >> text=Deprovision")
    page.click("button:has-text('Deprovision')")
    expect(page.locator("[data-field=status]")).to_have_text("Deprovisioning")
    # The deprovisioning job would end here; without a worker, set the result directly.
    Organisation.objects.filter(pk=org.pk).update(status=Status.DEPROVISIONED)
    page.reload()
    page.click("[aria-label=Actions] >> text=Delete")
    page.fill("#id_confirm_code", "WRONG")
    page.click("button:has-text('Delete')")
    expect(page.locator("#id_confirm_code_error")).to_contain_text("exactly")
    page.fill("#id_confirm_code", org.code)
    page.click("button:has-text('Delete')")
    expect(page.locator(".alert-success")).to_contain_text("is deleted")
    assert Organisation.objects.get(pk=org.pk).status == Status.DELETED

    provider = open_as(live_cast.provider_admin)
    provider.goto("/customers/?status=deleted")
    provider.click(f"#customers-table >> text={org.name}")
    provider.click("[aria-label=Actions] >> text=Restore")
    provider.click("button:has-text('Restore')")
    expect(provider.locator("[data-field=status]")).to_have_text("Deprovisioned")


def test_a_reseller_admin_creates_a_customer_and_cannot_see_a_sibling_resellers(live_cast, open_as):
    page = open_as(live_cast.reseller_admin)
    page.goto("/customers/new/quick/")
    expect(page.locator("#id_parent option")).not_to_contain_text(["Reseller Two"])
    page.fill("#id_name", "Own Customer")
    page.fill("#id_email", "own@own.example")
    page.fill("#id_domain_name", "own.example")
    page.click("button[name=save]")
    page.goto("/customers/")
    expect(page.locator("#customers-table")).to_contain_text("Own Customer")
    expect(page.locator("#customers-table")).not_to_contain_text("Customer Two")
    page.fill("#id_q", "Customer Two")
    page.click("#customer-filters-apply")
    expect(page.locator("[data-count=results]")).to_have_text("0")
    response = page.goto(f"/customers/{live_cast.customer2.pk}/")
    assert response.status == 404
    page.goto("/customers/tree/")
    expect(page.locator("#hierarchy")).not_to_contain_text("Reseller Two")
