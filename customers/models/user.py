"""People: portal logins and directory accounts are the same users."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.scoping import ScopedQuerySet
from customers.models.history import ActingHistory
from customers.models.indexes import PostgresGinIndex, trigram_index
from customers.models.validators import UNAVAILABLE_FIELD, validate_upn


class CanopyUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


class User(AbstractUser):
    """A user of one organisation.

    ``username`` doubles as the directory's sAMAccountName, so it is unique in the whole
    system as it is in the domain. ``is_active`` is the "enabled" flag: a disabled user
    cannot log in and their directory account is disabled.
    """

    username = models.CharField(
        _("Username"),
        max_length=20,
        unique=True,
        help_text=_("At most 20 characters: letters, digits and . - _"),
        error_messages={"unique": UNAVAILABLE_FIELD["username"]},
    )
    organisation = models.ForeignKey(
        "customers.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="users",
    )
    upn = models.CharField(
        _("UPN"),
        max_length=254,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_upn],
        error_messages={"unique": UNAVAILABLE_FIELD["upn"]},
    )
    display_name = models.CharField(_("Display Name"), max_length=256, blank=True)
    # A program's identity, made by an admin to own API keys: no password, never signs in to
    # the browser, has no directory account.
    is_service_account = models.BooleanField(
        _("Service account"),
        default=False,
        editable=False,
        help_text=_("Owns API keys for a program; cannot sign in to the portal."),
    )
    is_admin = models.BooleanField(
        _("Administrator"), default=False, help_text=_("Administrators manage their organisation.")
    )
    must_change_password = models.BooleanField(
        _("Must change password at next logon"), default=False
    )
    # Empty: the organisation's Default language (README "Languages").
    language = models.CharField(
        _("Language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        db_default="",  # rows inserted in bulk with raw SQL (seeds, benches) leave it out
        help_text=_("Empty: the organisation's default language."),
    )
    directory_guid = models.UUIDField(null=True, blank=True, editable=False)
    # The logon name the account has in the directory: the username, unless the domain
    # already had it (another tenant's account, one made by hand) and AD was given a
    # numbered one instead ("jsmith2"). Written by the account's job; shown on the user page.
    directory_sam_account_name = models.CharField(
        _("Logon name in the directory"),
        max_length=20,
        blank=True,
        editable=False,
        default="",
        db_default="",  # rows inserted in bulk with raw SQL (seeds, benches) leave it out
    )
    # Further addresses the person receives mail at, lower-case, each on one of their
    # customer's verified domains and nobody else's UPN or alias (customers.actions.users).
    # The Mail attributes service writes them to proxyAddresses as ``smtp:`` beside the
    # UPN's ``SMTP:``; reconcile compares them.
    # A JSON list, not an ArrayField: `make run` keeps its data in SQLite.
    email_aliases = models.JSONField(
        verbose_name=_("E-mail aliases"),
        default=list,
        blank=True,
        db_default=models.Value([], output_field=models.JSONField()),  # raw-SQL seeds
    )
    # Notice kinds (customers.models.NoticeKind) this user turned off on /users/me/email/.
    email_opt_outs = models.JSONField(_("E-mail notices turned off"), default=list, blank=True)

    # Who created and changed the account, and who acted as whom. Never the password hash,
    # and not the sign-in time (portal.apps keeps sign-ins out of history altogether).
    history = HistoricalRecords(excluded_fields=["password", "last_login"], bases=[ActingHistory])

    # Joiners and leavers (customers.actions.joiners, run hourly by beat): before
    # ``starts_on`` the account exists but is disabled; from ``ends_on`` it is disabled, its
    # services are released, and after the organisation's leaver retention it is removed.
    starts_on = models.DateField(
        _("Start date"),
        null=True,
        blank=True,
        help_text=_("The account is created disabled and enabled on this day."),
    )
    ends_on = models.DateField(
        _("End date"),
        null=True,
        blank=True,
        help_text=_(
            "The account is disabled on this day and its services released; it is removed "
            "after the organisation's leaver retention period."
        ),
    )
    # When the schedule applied the start or end date (so the hourly run does it once).
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    left_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CanopyUserManager()

    scope_path = "organisation__"
    scope_permissions = {
        "view": "view_users",
        "add": "add_users",
        "change": "change_users",
        "delete": "delete_users",
    }

    class Meta(AbstractUser.Meta):
        ordering = ["username"]
        swappable = "AUTH_USER_MODEL"
        indexes = [
            # The users list's search: icontains is UPPER(column) LIKE UPPER(term).
            trigram_index("username", "user_username_trgm"),
            trigram_index("upn", "user_upn_trgm"),
            trigram_index("display_name", "user_display_name_trgm"),
            # Is an address someone else's alias already (jsonb ``@>``, PostgreSQL only).
            PostgresGinIndex(fields=["email_aliases"], name="user_email_aliases_gin"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def get_absolute_url(self) -> str:
        return reverse("users:detail", args=[self.pk])

    @property
    def logon_name_differs(self) -> bool:
        """AD gave the account another sAMAccountName than the username."""
        return bool(self.directory_sam_account_name) and (
            self.directory_sam_account_name.lower() != self.username.lower()
        )

    def wants_email(self, kind: str) -> bool:
        """Whether a notice of ``kind`` goes to this user (an address, not turned off)."""
        return bool(self.email) and kind not in (self.email_opt_outs or [])

    def not_started(self, today) -> bool:
        return self.starts_on is not None and self.starts_on > today

    def has_left(self, today) -> bool:
        return self.ends_on is not None and self.ends_on <= today

    @property
    def enabled(self) -> bool:
        return self.is_active

    def effective_language(self) -> str:
        """The language this person's pages and e-mails use, by README's "Languages" order:
        their own choice, else their organisation's (inherited); "" when neither says, so a
        page follows the browser and an e-mail LANGUAGE_CODE."""
        if self.language:
            return self.language
        if self.organisation_id is None:
            return ""
        return self.organisation.effective_language()

    def save(self, *args, **kwargs):
        if self.upn:
            self.upn = self.upn.strip().lower()
        if not self.display_name:
            self.display_name = self.get_full_name()
        super().save(*args, **kwargs)
