"""API keys: a program acting as one person, with less power than that person.

A key is ``cnp_<prefix>_<secret>``. The prefix is stored in clear, to find the row and to name
the key in lists and history; of the secret only a keyed digest (``core.credentials``) is
stored, so whoever reads the database cannot use a key. The plain key is shown once.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.credentials import secret_digest
from core.scoping import ScopedManager

KEY_PREFIX = "cnp"
# Whole base32 digest of HMAC-SHA256: 52 letters carry all 256 bits.
DIGEST_LENGTH = 52
# last_used_at is a hint for people, not an audit log: one write a minute is enough.
LAST_USED_EVERY = timedelta(minutes=1)


def digest(secret: str) -> str:
    return secret_digest(f"api-key:{secret}", length=DIGEST_LENGTH)


def split_key(raw: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of a presented key, or None if it does not look like one."""
    parts = raw.split("_")
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class ApiKey(models.Model):
    owner = models.ForeignKey(
        "customers.User", on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("Owner")
    )
    name = models.CharField(_("Name"), max_length=100)
    organisation = models.ForeignKey(
        "customers.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("Limited to"),
        help_text=_("The key reaches this organisation and those below it, nothing else."),
    )
    # A list of permission codenames. JSON, not a PostgreSQL array: `make run` is SQLite.
    scopes = models.JSONField(default=list, verbose_name=_("Permissions"))
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=DIGEST_LENGTH, editable=False)
    created_at = models.DateTimeField(_("Created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("Expires"))
    revoked_at = models.DateTimeField(_("Revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("Last used"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(_("Last used from"), null=True, blank=True)

    objects = ScopedManager()

    # Keys are seen and revoked by those who manage their owners' accounts.
    scope_path = "owner__organisation__"
    scope_permissions = {"view": "view_users", "change": "change_users"}

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{KEY_PREFIX}_{self.prefix}"

    @classmethod
    def new_secret(cls) -> tuple[str, str, str]:
        """``(prefix, secret, plain key)`` for a new key."""
        prefix = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32).replace("_", "-")
        return prefix, secret, f"{KEY_PREFIX}_{prefix}_{secret}"

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.digest, digest(secret))

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())

    def is_usable(self, now=None) -> bool:
        return not self.is_revoked and not self.is_expired(now)

    @property
    def state(self) -> str:
        if self.is_revoked:
            return _("Revoked")
        if self.is_expired():
            return _("Expired")
        return _("Active")
