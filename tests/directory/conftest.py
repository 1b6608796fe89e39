"""Helpers shared by the directory tests (the DC fixtures are in tests/fixtures/samba.py)."""

import secrets

import pytest

from directory import UserSpec, ensure_user

PASSWORD = "Canopy-test-pw-7"


def spec_for(name: str = "jsmith", **overrides) -> UserSpec:
    """A user spec with a UPN no other test uses."""
    values = {
        "upn": f"{name}.{secrets.token_hex(4)}@canopy.test",
        "sam_account_name": name,
        "given_name": "John",
        "surname": "Smith",
        "display_name": f"John Smith {secrets.token_hex(2)}",
        "mail": f"{name}@example.com",
    }
    values.update(overrides)
    return UserSpec(**values)


@pytest.fixture
def make_user(ldap):
    """``make_user(ou_dn, name="jsmith", password=..., **spec_fields)`` -> UserResult."""

    def make(ou_dn: str, name: str = "jsmith", password: str | None = PASSWORD, **overrides):
        enabled = overrides.pop("enabled", True)
        return ensure_user(
            ldap, ou_dn, spec_for(name, **overrides), password=password, enabled=enabled
        )

    return make
