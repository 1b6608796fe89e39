"""The portal in German and French, as a person sees it: their organisation's Default
language, their own choice over it, and the sign-in page's picker (README "Languages")."""

import re

from playwright.sync_api import expect

from customers.models import Organisation
from tests.browser.conftest import browser_test

pytestmark = browser_test


def test_a_user_whose_organisation_speaks_german_gets_the_portal_in_german(live_cast, open_as):
    Organisation.objects.filter(pk=live_cast.reseller.pk).update(language="de")  # inherited

    page = open_as(live_cast.customer_admin)

    expect(page.locator("html")).to_have_attribute("lang", "de")
    nav = page.get_by_role("navigation", name="Hauptmenü")
    expect(nav.get_by_role("link", name="Kunden", exact=True)).to_be_visible()
    expect(nav.get_by_role("button", name="Abmelden")).to_be_visible()

    page.goto(f"/customers/{live_cast.customer.pk}/")
    expect(page.get_by_text("Kundentyp")).to_be_visible()
    expect(page.get_by_text("Passwortrichtlinie")).to_be_visible()


def test_a_users_own_french_wins_over_the_organisations_german(live_cast, open_as):
    Organisation.objects.filter(pk=live_cast.reseller.pk).update(language="de")
    page = open_as(live_cast.end_user)
    expect(page.locator("html")).to_have_attribute("lang", "de")

    page.get_by_role("link", name="Meine Dienste").click()
    page.get_by_role("link", name="Meine Sprache").click()
    page.get_by_label("Sprache").select_option("fr")
    page.get_by_role("button", name="Sprache speichern").click()

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("alert")).to_have_text("Votre langue a été enregistrée.")
    expect(page.get_by_role("heading", name="Ma langue")).to_be_visible()
    page.get_by_role("link", name="Mes services").click()
    expect(page.get_by_role("heading", name="Mes services")).to_be_visible()
    live_cast.end_user.refresh_from_db()
    assert live_cast.end_user.language == "fr"


def test_the_sign_in_pages_picker_changes_the_language_before_sign_in(
    transactional_db, chromium, live_server, browser_settings
):
    context = chromium.new_context(base_url=live_server.url, locale="en-GB")
    try:
        page = context.new_page()
        page.goto("/login/")
        expect(page.get_by_role("heading", name="Log in to Canopy")).to_be_visible()

        page.get_by_label("Language").select_option("de")
        page.get_by_role("button", name="Change language").click()

        expect(page).to_have_url(re.compile(r"/login/"))
        expect(page.get_by_role("heading", name="Bei Canopy anmelden")).to_be_visible()
        expect(page.get_by_label("Benutzername oder UPN")).to_be_visible()
    finally:
        context.close()


def test_the_browsers_language_is_followed_on_the_sign_in_page(
    transactional_db, chromium, live_server, browser_settings
):
    context = chromium.new_context(base_url=live_server.url, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto("/login/")
        expect(page.get_by_role("heading", name="Se connecter à Canopy")).to_be_visible()
        expect(page.get_by_label("Mot de passe")).to_be_visible()
    finally:
        context.close()
