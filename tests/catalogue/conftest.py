"""The engine tests' directory fixtures (a per-test tenants root, unique tenant names)."""

from tests.provisioning.conftest import directory_settings, tenants  # noqa: F401
