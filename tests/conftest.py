import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.test import Client

from tests.cast import build_cast
from tests.factories import PASSWORD

pytest_plugins = [
    "tests.fixtures.samba",
    "tests.fixtures.directory_tenants",
    "tests.fixtures.dns",
    "tests.fixtures.smtp",
    "tests.fixtures.https_receiver",
    "tests.fixtures.billing_worker",
]


LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def compile_stale_catalogues() -> None:
    """Compile each locale/*/LC_MESSAGES/django.po whose .mo is missing or older, as
    `make test` and `make run` do with compilemessages, so a plain pytest speaks German and
    French too. Written aside and renamed, so parallel workers never read half a file."""
    for po in LOCALE_DIR.glob("*/LC_MESSAGES/django.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        handle, temporary = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        os.close(handle)
        try:
            subprocess.run(
                ["msgfmt", "--check-format", "-o", temporary, str(po)],
                check=True,
                capture_output=True,
            )
            os.replace(temporary, mo)
        finally:
            Path(temporary).unlink(missing_ok=True)


def pytest_configure(config):
    from django.conf import settings

    compile_stale_catalogues()

    # Hashing is not under test: the default 1,000,000 PBKDF2 rounds cost ~0.5 s per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The test client and the browser tests' live server speak plain http on loopback;
    # production values are checked by `manage.py check --deploy` in test_deployment.
    settings.SECURE_SSL_REDIRECT = False
    # No collectstatic before tests: serve static files unhashed, as in development.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def cast(db):
    """The fixed cast of organisations and users (see tests/cast.py)."""
    return build_cast()


@pytest.fixture
def login():
    """``login(user)`` -> a test client signed in as that user through the real login form."""

    def _login(user) -> Client:
        client = Client()
        client.force_login(user, backend="portal.auth.UsernameOrUpnBackend")
        return client

    return _login


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture(autouse=True)
def private_media(tmp_path, settings):
    """Invoice and credit note PDFs go to the test's own directory, not the worktree's."""
    settings.MEDIA_ROOT = tmp_path / "private"
