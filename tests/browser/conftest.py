"""Browser tests: Debian's headless Chromium driven by Playwright against Django's live server.

The live server runs in a thread of this process against the test database, so tests use
``transactional_db`` (the built-in roles come back after each flush: customers.actions.builtins).
Playwright's sync API runs an event loop, hence DJANGO_ALLOW_ASYNC_UNSAFE for the ORM calls
the tests make around it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CANOPY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

browser_test = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_settings(settings):
    # Plain http on loopback: cookies must travel without TLS, and axes must not lock the
    # shared address out across tests.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.AXES_ENABLED = False
    return settings


@pytest.fixture
def live_cast(transactional_db, browser_settings):
    from tests.cast import build_cast

    return build_cast()


@pytest.fixture
def open_as(chromium, live_server, browser_settings):
    """``open_as(user, javascript=True)`` -> a Playwright page signed in through the login form."""
    from tests.factories import PASSWORD

    contexts = []

    def _open(user, javascript: bool = True):
        context = chromium.new_context(java_script_enabled=javascript, base_url=live_server.url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda u: "/login/" not in u)
        return page

    yield _open
    for context in contexts:
        context.close()
