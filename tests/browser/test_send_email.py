"""Send E-Mail through the real UI: a reseller admin writes to a customer's contacts,
previews, sends; the message arrives at the test SMTP server in the reseller's branding and
is in the customer's History. No page breaks its Content-Security-Policy."""

from __future__ import annotations

from playwright.sync_api import expect

from customers.models import Contact, Organisation
from tests.browser.conftest import browser_test
from tests.browser.test_content_security_policy import Violations
from tests.fixtures.waiting import wait_until

pytestmark = browser_test


def test_a_reseller_admin_sends_an_email_to_a_customers_contacts(live_cast, open_as, smtp):
    cast = live_cast
    Organisation.objects.filter(pk=cast.reseller.pk).update(brand_name="Reseller Cloud")
    Contact.objects.create(organisation=cast.customer, name="Tech", email="tech@c1.example")
    page = open_as(cast.reseller_admin)
    violations = Violations()
    violations.watch(page)
    page.goto(f"/customers/{cast.customer.pk}/")
    page.get_by_role("link", name="Send E-Mail").click()
    page.get_by_label("Contacts").check()
    page.get_by_label("Subject").fill("Planned maintenance")
    page.get_by_label("Message").fill("On Sunday at 02:00.\nIt takes an hour.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#email-preview")).to_contain_text("1 recipient")
    expect(page.locator("#email-preview")).to_contain_text("It takes an hour.")
    assert smtp.messages == []
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_contain_text("queued for 1 recipient.")
    wait_until(lambda: smtp.messages, 20, "nothing arrived")
    message = smtp.messages[0]
    assert smtp.recipients == [["tech@c1.example"]]
    assert message["Subject"] == "Planned maintenance"
    assert "Reseller Cloud" in message.get_body(("plain",)).get_content()
    page.get_by_role("link", name="History").click()
    expect(page.locator("#history")).to_contain_text("Planned maintenance")
    page.get_by_role("link", name="Information").click()
    expect(page.locator("#directory-objects")).to_contain_text(f"{cast.customer.code}-AllUsers")
    assert violations == []
