"""E-mail: what a provider or reseller sent a customer's people (the Send E-Mail tab), and
the notice kinds a user may turn off."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.scoping import ScopedManager
from customers.models.history import ActingHistory


class Audience(models.TextChoices):
    """Whom a Send E-Mail message goes to (several may be ticked)."""

    ADMINS = "admins", _("Administrators")
    CONTACTS = "contacts", _("Contacts")
    USERS = "users", _("All users")


class NoticeKind(models.TextChoices):
    """Notifications a user may turn off on their own e-mail page. Notices about the
    user's own account (a password set by an administrator, the welcome with its
    set-password link) are not here: they always go."""

    JOB_FAILED = "job_failed", _("A job of my organisation failed")
    CUSTOMER_EMAIL = "customer_email", _("Messages from my provider or reseller (Send E-Mail)")


class CustomerEmail(models.Model):
    """A message sent from a customer's Send E-Mail tab, kept with its text: it shows in
    the customer's History."""

    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="emails_sent"
    )
    audience = models.JSONField(_("Recipients"), default=list)
    recipient_count = models.PositiveIntegerField(_("Number of recipients"), default=0)
    subject = models.CharField(_("Subject"), max_length=200)
    body = models.TextField(_("Message"), max_length=10000)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(bases=[ActingHistory])
    objects = ScopedManager()

    scope_path = "organisation__"
    scope_permissions = {"view": "view_organisation", "change": "change_organisation"}

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.subject
