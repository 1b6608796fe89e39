"""Issue 16's lists in Chromium: the organisation picker (switcher and Parent Reseller),
multi-select filters and bulk actions, with htmx and the page's own script under the CSP."""

import re

from playwright.sync_api import expect

from customers.models import Organisation, Status
from tests.browser.conftest import browser_test
from tests.factories import OrganisationFactory

pytestmark = browser_test


def test_the_switcher_finds_and_chooses_an_organisation_created_after_the_first_50(
    live_cast, open_as
):
    for n in range(55):
        OrganisationFactory(name=f"Filler {n:02}", code=f"FILL{n:02}", parent=live_cast.reseller)
    late = OrganisationFactory(name="Zeta Latecomer", code="ZLATE", parent=live_cast.subreseller)
    page = open_as(live_cast.provider_admin)
    page.goto("/customers/")
    # Focusing the box (it shows "Provider") lists the first matches of everything, and
    # the way back home; typing replaces the shown name.
    page.focus("#context-organisation")
    expect(page.locator("#context-organisation-results [data-pick]")).to_have_count(21)
    expect(page.locator("#context-organisation-results")).to_contain_text("More match")
    page.keyboard.type("latecom")
    choice = page.locator(f"#context-organisation-results [data-pick='{late.pk}']")
    expect(choice).to_contain_text("Provider / Reseller One / Sub Reseller / Zeta Latecomer")
    choice.click()
    expect(page.locator("nav[aria-label=Hierarchy] .breadcrumb-item.active")).to_have_text(
        "Zeta Latecomer"
    )
    expect(page.locator("#context-organisation")).to_have_value("Zeta Latecomer")
    # By code too, then back home with the picker's first choice.
    page.fill("#context-organisation", "")
    page.fill("#context-organisation", "zlate")
    expect(page.locator(f"#context-organisation-results [data-pick='{late.pk}']")).to_be_visible()
    page.fill("#context-organisation", "")
    page.locator("#context-organisation-results [data-pick='']").click()
    expect(page.locator("nav[aria-label=Hierarchy] .breadcrumb-item.active")).to_have_text(
        "Provider"
    )


def test_the_parent_reseller_filter_is_a_picker(live_cast, open_as):
    page = open_as(live_cast.reseller_admin)
    page.goto("/customers/")
    page.fill("#id_parent_search", "sub")
    results = page.locator("#id_parent_search-results")
    expect(results).to_contain_text("Reseller One / Sub Reseller")
    expect(results).not_to_contain_text("Customer One")  # customers have no customers
    results.locator(f"[data-pick='{live_cast.subreseller.pk}']").click()
    expect(page.locator("[data-count=results]")).to_have_text("1")
    expect(page.locator("#customers-table tbody")).to_contain_text("Deep Customer")
    expect(page).to_have_url(re.compile(rf"parent={live_cast.subreseller.pk}"))


def test_multi_select_status_then_suspend_the_ticked_rows(live_cast, open_as):
    Organisation.objects.filter(pk__in=[live_cast.customer.pk, live_cast.deep_customer.pk]).update(
        status=Status.ACTIVE
    )
    page = open_as(live_cast.reseller_admin)
    page.goto("/customers/")
    status = page.locator("#customer-filters [data-multi]:has(input[name=status])")
    status.locator("summary").click()
    status.locator("input[value=active]").check()
    status.locator("input[value=draft]").check()
    # Ticking waits for Apply.
    expect(page.locator("[data-count=results]")).to_have_text("4")
    status.locator("button[type=submit]").click()
    expect(status.locator("summary")).to_contain_text("Draft, Active")
    expect(page.locator("[data-count=results]")).to_have_text("4")
    status.locator("input[value=draft]").uncheck()
    status.locator("button[type=submit]").click()
    expect(page.locator("[data-count=results]")).to_have_text("2")

    page.check("#customers-table th input[data-select-all]")
    expect(page.locator("#customers-table tbody input[name=selected]:checked")).to_have_count(2)
    page.goto("/customers/")
    page.check("input[aria-label='Select Customer One']")
    page.check("input[aria-label='Select Sub Reseller']")  # a draft: nothing to suspend
    page.click("#customer-bulk button[value=suspend]")
    expect(page.locator(".alert-success")).to_have_text("Suspended: Customer One.")
    expect(page.locator(".alert-danger")).to_contain_text("Refused: Sub Reseller (")
    assert Organisation.objects.get(pk=live_cast.customer.pk).status == Status.SUSPENDED
    assert Organisation.objects.get(pk=live_cast.subreseller.pk).status == Status.DRAFT


def test_disable_the_ticked_users(live_cast, open_as):
    page = open_as(live_cast.customer_admin)
    page.goto("/users/")
    page.check("input[aria-label='Select enduser']")
    page.click("#user-bulk button[value=disable]")
    expect(page.locator(".alert-success")).to_have_text("Disabled: enduser.")
    live_cast.end_user.refresh_from_db()
    assert not live_cast.end_user.is_active


def test_the_hierarchy_tree_opens_a_reseller_on_demand(live_cast, open_as):
    page = open_as(live_cast.provider_admin)
    page.goto("/customers/tree/")
    branch = page.locator("li[data-code=RONE] > details")
    expect(branch.locator("ul")).not_to_contain_text("Sub Reseller")
    branch.locator("summary").click()
    expect(branch.locator("ul")).to_contain_text("Sub Reseller")


def test_the_hierarchy_tree_shows_more_resellers_when_asked(live_cast, open_as, monkeypatch):
    monkeypatch.setattr("customers.views.list.TREE_PAGE", 1)
    page = open_as(live_cast.provider_admin)
    page.goto("/customers/tree/")
    tree = page.locator("#hierarchy")
    expect(tree).to_contain_text("Reseller One")
    expect(tree).not_to_contain_text("Reseller Two")
    tree.get_by_role("button", name="Show more").click()
    expect(tree.locator("li[data-code=RTWO]")).to_be_visible()
    expect(tree.get_by_role("button", name="Show more")).to_have_count(0)
