"""How to reach the directory: a plain value object, built by the portal's settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class DirectoryConfig:
    """Connection settings for one Active Directory domain.

    `password` is excluded from `repr()` so that a logged or printed config never shows
    it. `tenants_root_dn` is the OU under which every tenant's tree lives (settings default
    it to ``OU=Tenants,<base_dn>``).
    """

    url: str
    bind_user: str
    password: str = field(repr=False)
    ca_file: str | None
    base_dn: str
    tenants_root_dn: str
    connect_timeout: float = 5
    receive_timeout: float = 15
    use_starttls: bool = False

    def __post_init__(self) -> None:
        scheme = urlsplit(self.url).scheme.lower()
        if scheme not in ("ldap", "ldaps"):
            raise ValueError(f"directory URL must start with ldap:// or ldaps://, got {self.url!r}")
        if scheme == "ldaps" and self.use_starttls:
            raise ValueError("StartTLS is for ldap:// URLs; an ldaps:// URL is already encrypted")
        if self.connect_timeout <= 0 or self.receive_timeout <= 0:
            raise ValueError("directory timeouts must be positive numbers of seconds")

    @property
    def host(self) -> str:
        host = urlsplit(self.url).hostname
        if not host:
            raise ValueError(f"directory URL has no host: {self.url!r}")
        return host

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        if parts.port:
            return parts.port
        return 636 if parts.scheme.lower() == "ldaps" else 389

    @property
    def use_ssl(self) -> bool:
        """True for ldaps:// (TLS from the first byte)."""
        return urlsplit(self.url).scheme.lower() == "ldaps"

    @property
    def encrypted(self) -> bool:
        """Whether credentials would travel over TLS (LDAPS or StartTLS)."""
        return self.use_ssl or self.use_starttls
