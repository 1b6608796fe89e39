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
]


def pytest_configure(config):
    from django.conf import settings

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
