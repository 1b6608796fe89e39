"""Friendly 403, 404 and 500 pages in the portal's layout, never a traceback (issue 16, 2)."""

import logging
import re

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.portal.error_urls")]


@pytest.fixture
def no_debug(settings):
    settings.DEBUG = False
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    return settings


def test_a_missing_page_is_a_friendly_404_in_the_portals_layout(cast, login, no_debug):
    response = login(cast.customer_admin).get("/customers/999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert 'aria-label="Main"' in page  # the portal's navigation bar: base.html
    assert "Back to the dashboard" in page


def test_a_refusal_is_a_friendly_403_that_says_why(cast, login, no_debug):
    response = login(cast.customer_admin).get("/test-only/refused/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "You may not do this here" in page
    assert "You may not delete this organisation." in page
    assert 'aria-label="Main"' in page


def test_a_bug_is_a_friendly_500_with_a_reference_that_is_in_the_log(cast, login, no_debug, caplog):
    client = login(cast.customer_admin)
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/test-only/broken/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page
    assert "Traceback" not in page and "a bug that only the log may show" not in page
    reference = re.search(r"<code data-reference>([0-9A-F]{12})</code>", page).group(1)
    # The reference is the request's id: on every log line of the request, and in its header.
    assert response["X-Request-ID"] == reference
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert reference in record.getMessage()
    assert record.request_id == reference and record.user_id == cast.customer_admin.pk
    assert record.exc_info and "a bug that only the log may show" in str(record.exc_info[1])


def test_every_500_gets_its_own_reference(cast, login, no_debug):
    client = login(cast.customer_admin)
    client.raise_request_exception = False
    pages = [client.get("/test-only/broken/").content.decode() for _ in range(2)]
    references = {re.search(r"data-reference>(\w+)<", page).group(1) for page in pages}
    assert len(references) == 2


def test_the_500_page_needs_no_request_context(no_debug):
    # What a broken database or context processor leaves: an anonymous request, no context.
    client = Client(raise_request_exception=False)
    response = client.get("/test-only/broken/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_a_form_sent_without_its_csrf_token_says_the_form_expired(cast, no_debug):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.customer_admin, backend="portal.auth.UsernameOrUpnBackend")
    response = client.post("/customers/new/quick/", {"name": "Initech"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "This form has expired" in page and "Nothing was saved" in page
    assert 'aria-label="Main"' in page


def test_a_request_for_an_unknown_host_is_a_friendly_400(no_debug):
    response = Client().get("/login/", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert "could not read this request" in response.content.decode()
