"""The security log (who signed in, failed, was locked out, changed a password or a role)
and the sessions a user has open."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedManager


class SecurityEventKind(models.TextChoices):
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Failed sign-in")
    LOCKED_OUT = "locked_out", _("Locked out")
    PASSWORD_RESET = "password_reset", _("Password reset")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    ROLE_GRANTED = "role_granted", _("Role granted")
    ROLE_REVOKED = "role_revoked", _("Role revoked")
    TWO_FACTOR_ENABLED = "two_factor_enabled", _("Two-factor authentication enabled")
    TWO_FACTOR_DISABLED = "two_factor_disabled", _("Two-factor authentication disabled")
    TWO_FACTOR_RESET = "two_factor_reset", _("Two-factor authentication reset")
    TWO_FACTOR_RECOVERY_CODES_REGENERATED = (
        "recovery_codes_regenerated",
        _("Recovery codes regenerated"),
    )
    SESSION_ENDED = "session_ended", _("Session ended")
    SESSIONS_ENDED_BY_ADMIN = "sessions_ended_by_admin", _("Sessions ended by an administrator")
    ACTING_STARTED = "acting_started", _("Login to CP started")
    ACTING_ENDED = "acting_ended", _("Login to CP ended")


class SecurityEvent(models.Model):
    """One security-relevant event, written only by ``customers.actions.security_events``.

    ``organisation`` is the subject's organisation: the log is scoped by it, so the admins of
    that organisation and of every organisation above it see the row. A failed sign-in for a
    name that matches no account has no organisation, nor do the rows of a deleted
    organisation: only the provider's admins see those.
    Passwords, tried or set, are never stored.
    """

    kind = models.CharField(_("Event"), max_length=40, choices=SecurityEventKind.choices)
    when = models.DateTimeField(_("When"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("By"),
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="security_events",
        verbose_name=_("User"),
    )
    # The log outlives a deleted organisation: its rows stay, for the provider's admins.
    organisation = models.ForeignKey(
        "customers.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="security_events",
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.CharField(_("Detail"), max_length=300, blank=True)

    objects = ScopedManager()

    scope_path = "organisation__"
    # The log is for administrators: Help Desk and ordinary users do not read it.
    scope_permissions = {"view": "grant_roles"}

    class Meta:
        ordering = ["-when", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "-when"], name="security_event_org_when"),
            models.Index(fields=["kind", "-when"], name="security_event_kind_when"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.when:%Y-%m-%d %H:%M}"


class UserSession(models.Model):
    """A signed-in session of one user, so they (or an administrator) can see and end it.

    The session key is a bearer secret: only its SHA-256 is kept, and the session itself
    carries this row's id (``portal.middleware.SESSION_ROW_KEY``). Ending a session deletes
    the row; the session's next request finds no row and is signed out.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    device = models.CharField(_("Device"), max_length=200, blank=True)
    created = models.DateTimeField(_("Signed in"), auto_now_add=True)
    last_seen = models.DateTimeField(_("Last seen"))

    class Meta:
        ordering = ["-last_seen", "-pk"]
        indexes = [models.Index(fields=["user", "-last_seen"], name="user_session_user_seen")]

    def __str__(self) -> str:
        return f"{self.user} {self.device}"
