"""Billing in the browser: the cutoff refusal on the add-user form, the Units tab's credit
form with its error on the field, and an invoice's PDF downloaded from the Invoices tab."""

import subprocess

import pytest
from playwright.sync_api import expect

from billing.actions.accounts import account_for, update_profile
from billing.actions.ledger import credit
from core.actors import SYSTEM
from customers.models import User
from tests.browser.conftest import browser_test
from tests.factories import PASSWORD
from tests.fixtures.invoices import issued_invoice

pytestmark = browser_test


def test_a_customer_admin_at_the_cutoff_sees_the_refusal_on_the_add_user_form(live_cast, open_as):
    cast = live_cast
    account = account_for(cast.customer)
    update_profile(actor=SYSTEM, account=account, changes={"cutoff_balance": 10})
    credit(actor=SYSTEM, account=account, units=10, description="Opening")
    page = open_as(cast.customer_admin)
    page.goto(f"/users/organisations/{cast.customer.pk}/new/")
    page.fill("#id_upn_local", "late.joiner")
    page.fill("#id_first_name", "Late")
    page.fill("#id_last_name", "Joiner")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password_repeat", PASSWORD)
    page.click("#user-form button[type=submit]")
    alert = page.locator("#user-form .alert-danger")
    expect(alert).to_contain_text("at or below its cutoff balance of 10.00")
    expect(alert).to_contain_text("10.00")
    assert not User.objects.filter(upn__startswith="late.joiner@").exists()
    # The banner says so on every page of theirs.
    expect(page.locator("#billing-banner")).to_contain_text("cutoff balance")


@pytest.mark.parametrize("javascript", [True, False])
def test_the_parents_admin_credits_units_and_sees_errors_on_the_field(
    live_cast, open_as, javascript
):
    cast = live_cast
    page = open_as(cast.reseller_admin, javascript=javascript)
    page.goto(f"/customers/{cast.customer.pk}/")
    page.click("ul.nav-tabs >> text=Units")
    page.fill("#id_adjust-description", "Welcome credit")
    page.select_option("#id_adjust-transaction_type", "credit")
    page.fill("#id_adjust-units", "0")
    page.click("#adjust-units button[type=submit]")
    expect(page.locator("#id_adjust-units_error")).to_be_visible()
    page.fill("#id_adjust-units", "25")
    page.click("#adjust-units button[type=submit]")
    expect(page.locator("[data-field=balance]")).to_contain_text("25.00")
    expect(page.locator("#ledger")).to_contain_text("Welcome credit")


def test_a_customer_admin_downloads_an_invoice_pdf_from_the_invoices_tab(live_cast, open_as):
    cast = live_cast
    invoice = issued_invoice(cast)
    page = open_as(cast.customer_admin)
    page.goto(f"/customers/{cast.customer.pk}/")
    page.click("ul.nav-tabs >> text=Invoices")
    expect(page.locator("#invoice-list")).to_contain_text(invoice.number)
    with page.expect_download() as download:
        page.click(f"#invoice-list >> text=Download {invoice.number}")
    saved = download.value
    assert saved.suggested_filename == f"{invoice.number}.pdf"
    text = subprocess.run(
        ["pdftotext", saved.path(), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert invoice.number in text and "119.00 EUR" in text
