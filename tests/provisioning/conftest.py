"""Fixtures for engine tests against the project's Samba DC.

``directory_settings`` points the portal at the DC with this test's own OU as the tenants
root, so tests sharing the DC never see each other's tenants. Password policies and UPN
suffixes are forest-wide, so every code, domain and user name is made unique per test
(``tenants``), and whatever a test leaves in those shared places is removed afterwards.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import pytest

from customers.models import Organisation, User
from directory import (
    connect,
    remove_password_policy,
    remove_upn_suffix,
    reset_connection,
)
from provisioning.job_plans import layout
from tests.factories import OrganisationFactory, UserFactory

ADMIN_PASSWORD = "Tenant-admin-Pw-7!"


@pytest.fixture
def directory_settings(settings, samba_dc, test_ou):
    settings.DIRECTORY_URL = samba_dc.url
    settings.DIRECTORY_BIND_USER = samba_dc.bind_user
    settings.DIRECTORY_PASSWORD = samba_dc.password
    settings.DIRECTORY_CA_FILE = samba_dc.ca_file
    settings.DIRECTORY_BASE_DN = samba_dc.base_dn
    settings.DIRECTORY_TENANTS_ROOT = test_ou
    settings.JOB_RETRY_BASE_SECONDS = 0.2
    settings.JOB_RETRY_MAX_SECONDS = 1.0
    yield settings
    reset_connection()


@dataclass
class Tenants:
    """Makes organisations and users with names no other test uses."""

    config: object
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    codes: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    count: int = 0

    def unique(self, stem: str) -> str:
        self.count += 1
        return f"{stem}{self.tag}{self.count}"

    def domain(self) -> str:
        name = f"{self.unique('d')}.example"
        self.domains.append(name)
        return name

    def organisation(self, *, parent=None, name=None, code=None, domains=1, **fields):
        code = code or self.unique("T").upper()
        self.codes.append(code)
        names = [self.domain() for _ in range(domains)]
        return OrganisationFactory(
            name=name or f"Tenant {code}", code=code, parent=parent, domains=names, **fields
        )

    def customer(self, **fields) -> Organisation:
        """A customer under its own provider (both drafts)."""
        provider = self.organisation(name="Test provider", is_reseller=True)
        return self.organisation(parent=provider, **fields)

    def user(self, organisation, **fields) -> User:
        username = fields.pop("username", None) or self.unique("u")
        domain = organisation.primary_domain
        fields.setdefault("upn", f"{username}@{domain.name}")
        fields.setdefault("first_name", "Test")
        fields.setdefault("last_name", username)
        return UserFactory(username=username, organisation=organisation, **fields)


@pytest.fixture
def tenants(samba_dc):
    made = Tenants(config=samba_dc)
    yield made
    conn = connect(samba_dc)
    try:
        for code in made.codes:
            remove_password_policy(conn, layout.policy_name(code))
        for domain in made.domains:
            remove_upn_suffix(conn, samba_dc.base_dn, domain)
    finally:
        conn.unbind()
