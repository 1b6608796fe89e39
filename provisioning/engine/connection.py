"""The portal's directory connection: a `DirectoryConfig` built from the DIRECTORY_* settings.

Settings are read on every call (cheap), so a test that overrides them is obeyed; the
connection itself is cached per process by `directory.get_connection`.
"""

from __future__ import annotations

import math

from django.conf import settings

from directory import DirectoryConfig

NO_DIRECTORY_MESSAGE = (
    "No directory is connected: Canopy cannot change Active Directory until an administrator "
    "sets DIRECTORY_URL (and the other DIRECTORY_* settings). Retry the job once it is set."
)


class DirectoryNotConfigured(Exception):
    """DIRECTORY_URL is empty, or the DIRECTORY_* settings do not make a usable connection."""


def directory_connected() -> bool:
    """Whether a directory is configured at all (not whether it answers right now)."""
    return bool(settings.DIRECTORY_URL)


def directory_config() -> DirectoryConfig:
    """The configured directory, or `DirectoryNotConfigured` with a message for people."""
    if not settings.DIRECTORY_URL:
        raise DirectoryNotConfigured(NO_DIRECTORY_MESSAGE)
    if not settings.DIRECTORY_BASE_DN or not settings.DIRECTORY_TENANTS_ROOT:
        raise DirectoryNotConfigured(
            "The directory settings are incomplete: DIRECTORY_BASE_DN (and with it "
            "DIRECTORY_TENANTS_ROOT) must name the domain, e.g. DC=example,DC=com."
        )
    try:
        return DirectoryConfig(
            url=settings.DIRECTORY_URL,
            bind_user=settings.DIRECTORY_BIND_USER,
            password=settings.DIRECTORY_PASSWORD,
            ca_file=settings.DIRECTORY_CA_FILE,
            base_dn=settings.DIRECTORY_BASE_DN,
            tenants_root_dn=settings.DIRECTORY_TENANTS_ROOT,
            connect_timeout=settings.DIRECTORY_CONNECT_TIMEOUT,
            # ldap3 packs the receive timeout into a C struct: it must be a whole number.
            receive_timeout=max(1, math.ceil(settings.DIRECTORY_RECEIVE_TIMEOUT)),
            use_starttls=settings.DIRECTORY_USE_STARTTLS,
        )
    except ValueError as exc:
        raise DirectoryNotConfigured(f"The directory settings are not usable: {exc}") from None
