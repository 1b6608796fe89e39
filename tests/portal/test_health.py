"""/health/: the load balancer's probe against the real database, Redis, broker and DC."""

from __future__ import annotations

import socket

import pytest
from django.test import Client
from django.urls import reverse

from tests.portal.test_sign_in_throttling import WRONG, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.directory]

ALL_OK = {"database": "ok", "redis": "ok", "broker": "ok", "directory": "ok"}


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def staff(cast, login):
    cast.provider_admin.is_staff = True
    cast.provider_admin.save(update_fields=["is_staff"])
    return login(cast.provider_admin)


@pytest.fixture
def directory(settings, samba_dc):
    settings.DIRECTORY_URL = samba_dc.url
    settings.DIRECTORY_BIND_USER = samba_dc.bind_user
    settings.DIRECTORY_PASSWORD = samba_dc.password
    settings.DIRECTORY_CA_FILE = samba_dc.ca_file
    settings.DIRECTORY_BASE_DN = samba_dc.base_dn
    settings.DIRECTORY_TENANTS_ROOT = f"OU=Tenants,{samba_dc.base_dn}"
    return settings


def test_anonymous_callers_get_the_status_and_nothing_else(directory):
    response = Client().get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_staff_see_each_check(directory, staff):
    response = staff.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": ALL_OK}


def test_an_unreachable_directory_makes_it_unhealthy_and_names_no_host(directory, staff):
    directory.DIRECTORY_URL = f"ldaps://127.0.0.1:{closed_port()}"
    response = Client().get(reverse("health"))
    assert response.status_code == 503
    assert response.json() == {"status": "unhealthy"}
    checks = staff.get(reverse("health")).json()["checks"]
    assert checks == {**ALL_OK, "directory": "Unavailable: Unreachable"}
    assert "127.0.0.1" not in str(checks)


def test_a_refused_bind_makes_it_unhealthy(directory, staff):
    directory.DIRECTORY_PASSWORD = WRONG
    checks = staff.get(reverse("health")).json()["checks"]
    assert checks["directory"] == "Unavailable: Bind refused"


def test_a_missing_base_dn_makes_it_unhealthy(directory, staff):
    directory.DIRECTORY_BASE_DN = f"OU=Nowhere,{directory.DIRECTORY_BASE_DN}"
    checks = staff.get(reverse("health")).json()["checks"]
    assert checks["directory"] == "Unavailable: Unexpected answer"


def test_an_unreachable_broker_makes_it_unhealthy(directory, staff):
    directory.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = staff.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["checks"] == {
        **ALL_OK,
        "redis": "Unavailable: Unable to connect to Redis: Connection Error",
        "broker": "Unavailable: Unreachable",
    }


def test_without_a_directory_it_is_not_checked(settings):
    settings.DIRECTORY_URL = ""
    assert Client().get(reverse("health")).json() == {"status": "ok"}


def test_a_locked_out_address_still_gets_the_probe(directory, cast, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    for _ in range(3):
        sign_in(client, cast.provider_admin.username, WRONG)
    assert sign_in(client, cast.provider_admin.username, WRONG).status_code == 429
    assert client.get(reverse("health")).status_code == 200


def test_plain_http_gets_the_probe_instead_of_a_redirect(directory, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get(reverse("health")).status_code == 200
    assert Client().get(reverse("login")).status_code == 301
