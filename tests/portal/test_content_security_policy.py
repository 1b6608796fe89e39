"""Every page carries a Content-Security-Policy that forbids inline script, and no page needs
one: no inline <script>, no event-handler attribute, no style attribute.

The URLs are the permission matrix's (tests/matrix.py), so a new page is covered as soon as
it has its row there. The browser test (tests/browser/test_content_security_policy.py)
checks that the pages really run under the policy.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from core.models import Job
from tests.matrix import MATRIX

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", re.I)
HANDLER_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)


def directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    parsed = {}
    for part in filter(None, (p.strip() for p in header.split(";"))):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_strict_policy(response, where: str) -> None:
    policy = directives(response)
    assert policy, f"{where}: no Content-Security-Policy header"
    script = policy.get("script-src", policy.get("default-src"))
    assert script == ["'self'"], f"{where}: script-src {script}"
    assert "'unsafe-inline'" not in policy.get("style-src", []), where
    assert policy.get("object-src") == ["'none'"], where
    assert policy.get("frame-ancestors") == ["'none'"], where


def assert_nothing_inline(response, where: str) -> None:
    if not response.get("Content-Type", "").startswith("text/html"):
        return
    page = response.content.decode()
    for pattern in (INLINE_SCRIPT, HANDLER_ATTRIBUTE, STYLE_ATTRIBUTE):
        found = pattern.search(page)
        assert found is None, f"{where}: the policy would block {found.group(0)[:120]!r}"


@pytest.fixture
def pages(cast):
    """Every named URL of the matrix, with arguments built from the cast."""
    cast.customer_job = Job.objects.create(
        kind="provision_customer",
        organisation=cast.customer,
        target_label=cast.customer.name,
        lock_key=f"org:{cast.customer.pk}",
    )
    # One GET per URL: an API operation's row for another method ("name POST") is the same URL.
    return [
        (name, reverse(name, args=row.args(cast)) + row.query)
        for name, row in MATRIX.items()
        if " " not in name
    ]


def test_every_page_carries_a_policy_that_forbids_inline_script(cast, pages):
    provider_admin = Client()
    provider_admin.force_login(cast.provider_admin, backend="portal.auth.UsernameOrUpnBackend")
    end_user = Client()
    end_user.force_login(cast.end_user, backend="portal.auth.UsernameOrUpnBackend")
    for name, url in pages:
        for who, client in (
            ("anonymous", Client()),
            ("provider", provider_admin),
            ("end user", end_user),
        ):
            response = client.get(url)
            assert_strict_policy(response, f"{who} GET {name} ({response.status_code})")


def test_no_page_needs_an_inline_script_or_style_attribute(cast, pages):
    client = Client()
    client.force_login(cast.provider_admin, backend="portal.auth.UsernameOrUpnBackend")
    for name, url in pages:
        response = client.get(url)
        assert_nothing_inline(response, f"GET {name}")
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/"):
            assert_nothing_inline(client.get(url, HTTP_HX_REQUEST="true"), f"htmx GET {name}")


def test_a_lock_out_and_the_login_page_carry_the_policy_too(cast, settings):
    client = Client()
    assert_strict_policy(client.get(reverse("login")), "login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": "cadmin", "password": "wrong"})
    assert response.status_code == 429
    assert_strict_policy(response, "lock-out")


def test_an_organisations_brand_colour_comes_as_a_style_sheet_not_an_inline_style(cast, login):
    cast.customer.brand_colour = "#123456"
    cast.customer.save()
    client = login(cast.customer_admin)
    response = client.get(reverse("dashboard"))
    page = response.content.decode()
    assert "<style" not in page
    assert not any("nonce" in value for value in directives(response)["style-src"])
    href = re.search(r'<link rel="stylesheet" href="(/branding\.css\?v=[0-9a-f]+)">', page)
    assert href, "the theme's style sheet is not linked"
    sheet = client.get(href.group(1))
    assert sheet["Content-Type"] == "text/css; charset=utf-8"
    assert "--canopy-brand: #123456;" in sheet.content.decode()
