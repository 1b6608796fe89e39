"""Themes and white-label host names: inheritance down the tree, the Themes tab, the logo's
checks and how it is served, the style sheet, and a reseller's own host name."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from customers.models import Organisation, PortalHost, Theme
from customers.models.branding import LOGO_MAX_BYTES
from tests.fixtures.themes import png_bytes, png_upload, reseller_host, reseller_theme, theme_of

pytestmark = pytest.mark.django_db


def brand_name(response) -> str:
    return re.search(r"<span data-brand-name>([^<]*)</span>", response.content.decode()).group(1)


def stylesheet(client, response) -> str:
    href = re.search(r'href="(/branding\.css\?v=[0-9a-f]+)"', response.content.decode()).group(1)
    return client.get(href).content.decode()


def theme_form(**overrides):
    data = {
        "name": "Spring",
        "product_name": "Spring Cloud",
        "primary_colour": "#224466",
        "accent_colour": "#aa3300",
        "support_email": "help@spring.example",
        "support_phone": "+44 20 7946 0000",
        "support_url": "https://help.spring.example/",
        "sign_in_text": "Welcome.",
    }
    data.update(overrides)
    return data


def test_a_theme_set_on_a_reseller_shows_on_its_customers_pages(cast, login):
    reseller_theme(cast)
    client = login(cast.customer_admin)
    response = client.get(reverse("customers:detail", args=[cast.customer.pk]))
    assert brand_name(response) == "Reseller One Cloud"
    assert "--canopy-brand: #7a1f5c;" in stylesheet(client, response)
    assert "help@reseller.example" in response.content.decode()
    # Reseller Two's customers keep Canopy's own look.
    assert brand_name(login(cast.customer2_admin).get(reverse("dashboard"))) == "Canopy"


def test_a_customers_own_theme_overrides_the_resellers(cast, login):
    reseller_theme(cast)
    own = theme_of(
        cast.reseller, name="For Customer One", product_name="One Cloud", primary_colour="#005500"
    )
    Organisation.objects.filter(pk=cast.customer.pk).update(active_theme=own)
    client = login(cast.customer_admin)
    response = client.get(reverse("dashboard"))
    assert brand_name(response) == "One Cloud"
    assert "--canopy-brand: #005500;" in stylesheet(client, response)
    # The reseller itself still wears its own.
    assert brand_name(login(cast.reseller_admin).get(reverse("dashboard"))) == "Reseller One Cloud"


def test_the_pages_carry_no_inline_style_for_the_theme(cast, login):
    reseller_theme(cast)
    page = login(cast.customer_admin).get(reverse("dashboard")).content.decode()
    assert "<style" not in page


def test_a_reseller_admin_creates_a_theme_with_a_logo(cast, login):
    client = login(cast.reseller_admin)
    response = client.post(
        reverse("customers:theme_create", args=[cast.reseller.pk]),
        {**theme_form(), "logo": png_upload()},
    )
    assert response.status_code == 302
    theme = Theme.objects.get(owner=cast.reseller, name="Spring")
    assert theme.logo_type == "image/png"
    logo = client.get(theme.logo_url())
    assert logo.status_code == 200
    assert logo["Content-Type"] == "image/png"
    assert logo["X-Content-Type-Options"] == "nosniff"
    assert bytes(theme.logo) == logo.content


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("logo.png", b"<html><script>alert(1)</script></html>", "text/html"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "image/svg+xml"),
        ("logo.png", png_bytes()[:40], "image/png"),  # cut short
    ],
)
def test_a_logo_that_is_not_an_image_is_refused_on_its_field(cast, login, name, content, kind):
    response = login(cast.reseller_admin).post(
        reverse("customers:theme_create", args=[cast.reseller.pk]),
        {**theme_form(), "logo": SimpleUploadedFile(name, content, content_type=kind)},
    )
    assert response.status_code == 200
    assert "The logo must be a PNG, JPEG, GIF or WebP image." in response.content.decode()
    assert not Theme.objects.filter(name="Spring").exists()


def test_a_logo_too_large_is_refused(cast, login):
    big = SimpleUploadedFile("logo.png", b"\x89PNG" + b"0" * LOGO_MAX_BYTES, "image/png")
    response = login(cast.reseller_admin).post(
        reverse("customers:theme_create", args=[cast.reseller.pk]),
        {**theme_form(), "logo": big},
    )
    assert response.status_code == 200
    assert "The logo is larger than" in response.content.decode()


def test_colours_are_validated(cast, login):
    response = login(cast.reseller_admin).post(
        reverse("customers:theme_create", args=[cast.reseller.pk]),
        theme_form(primary_colour="#12345g"),
    )
    assert response.status_code == 200
    assert "Enter a colour such as #1f6feb." in response.content.decode()


def test_the_active_theme_is_chosen_from_the_available_themes(cast, login):
    theme = reseller_theme(cast)
    foreign = theme_of(cast.reseller2, name="Two's")
    client = login(cast.customer_admin)
    url = reverse("customers:themes", args=[cast.customer.pk])
    page = client.get(url).content.decode()
    assert "Reseller Look" in page and "Two&#x27;s" not in page
    assert client.post(url, {"theme": foreign.pk}).status_code == 200
    assert Organisation.objects.get(pk=cast.customer.pk).active_theme_id is None
    assert client.post(url, {"theme": theme.pk}).status_code == 302
    assert Organisation.objects.get(pk=cast.customer.pk).active_theme_id == theme.pk
    record = Organisation.history.filter(id=cast.customer.pk).first()
    assert record.active_theme_id == theme.pk and record.history_user == cast.customer_admin


def test_deleting_a_theme_lets_its_wearers_inherit_again(cast, login):
    theme = reseller_theme(cast)
    client = login(cast.reseller_admin)
    client.post(reverse("customers:theme_delete", args=[cast.reseller.pk, theme.pk]))
    assert not Theme.objects.filter(pk=theme.pk).exists()
    assert Organisation.objects.get(pk=cast.reseller.pk).active_theme_id is None


def test_a_logo_needs_its_keyed_url(cast, login):
    theme = reseller_theme(cast)
    # An e-mail client, signed in nowhere, loads the URL the mail carries.
    assert Client().get(theme.logo_url()).status_code == 200
    # Guessing by the theme's number does not work, nor does an old version.
    wrong = reverse("theme_logo", args=[theme.pk, "0" * 20])
    assert login(cast.customer2_admin).get(wrong).status_code == 404
    old = theme.logo_url()
    Theme.objects.get(pk=theme.pk).save()
    assert Client().get(old).status_code == 404


# --- White-label host names ------------------------------------------------------------------


def test_the_sign_in_page_on_a_resellers_host_shows_its_theme(cast):
    theme = reseller_theme(cast)
    host = reseller_host(cast)
    client = Client(HTTP_HOST=host.host_name)
    response = client.get(reverse("login"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Log in to Reseller One Cloud" in page
    assert "Welcome to the reseller&#x27;s portal." in page
    assert theme.logo_url() in page
    assert client.get(theme.logo_url()).status_code == 200
    assert "--canopy-brand: #7a1f5c;" in stylesheet(client, response)
    # The portal's own host name: Canopy's look.
    assert "Log in to Canopy" in Client().get(reverse("login")).content.decode()


def test_an_unknown_host_is_still_refused(cast):
    reseller_host(cast)
    assert Client(HTTP_HOST="evil.example").get(reverse("login")).status_code == 400


def test_a_reseller_registers_and_removes_a_host_name(cast, login):
    client = login(cast.reseller_admin)
    url = reverse("customers:portal_host_add", args=[cast.reseller.pk])
    assert client.post(url, {"host_name": "Portal.Reseller.Example"}).status_code == 302
    host = PortalHost.objects.get(organisation=cast.reseller)
    assert host.host_name == "portal.reseller.example"
    client.post(reverse("customers:portal_host_remove", args=[cast.reseller.pk, host.pk]))
    assert not PortalHost.objects.exists()


@pytest.mark.parametrize("bad", ["not a host", "localhost", "-x.example", "x" * 64 + ".example"])
def test_host_names_are_validated(cast, login, bad):
    client = login(cast.reseller_admin)
    response = client.post(
        reverse("customers:portal_host_add", args=[cast.reseller.pk]), {"host_name": bad}
    )
    assert response.status_code == 302
    assert not PortalHost.objects.exists()
    assert "host name" in client.get(response.url).content.decode()


def test_a_host_name_is_taken_once(cast, login):
    reseller_host(cast, "portal.reseller.example")
    client = login(cast.reseller2_admin)
    client.post(
        reverse("customers:portal_host_add", args=[cast.reseller2.pk]),
        {"host_name": "portal.reseller.example"},
    )
    assert PortalHost.objects.count() == 1


# --- Query counts --------------------------------------------------------------------------

# The Themes tab of a reseller: session, user, scope, page context, the organisation and its
# ancestors, the theme worn, the Available Themes, its own themes and its host names.
THEMES_TAB_QUERIES = 13


def count_queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # the session's first-request writes out of the way
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_a_theme_costs_a_page_one_query(cast, login):
    client = login(cast.customer_admin)
    url = reverse("dashboard")
    without = count_queries(client, url)
    reseller_theme(cast)
    assert count_queries(client, url) == without + 1


def test_the_themes_tab_keeps_its_query_count(cast, login, django_assert_num_queries):
    reseller_theme(cast)
    theme_of(cast.reseller, name="Second")
    reseller_host(cast)
    client = login(cast.reseller_admin)
    url = reverse("customers:themes", args=[cast.reseller.pk])
    client.get(url)
    with django_assert_num_queries(THEMES_TAB_QUERIES):
        client.get(url)
    theme_of(cast.reseller, name="Third")
    reseller_host(cast, "second.reseller-one.example")
    with django_assert_num_queries(THEMES_TAB_QUERIES):  # flat in the number of themes
        client.get(url)
