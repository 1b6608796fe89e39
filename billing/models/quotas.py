"""Druva's credit quota (with its effective and end dates, and the history of past quotas),
the licence reminders sent, and each provider's billing settings."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from billing.models.account import DEFAULT_PAYMENT_TERMS_DAYS, MAX_PAYMENT_TERMS_DAYS, UNITS


class CreditQuota(models.Model):
    """A quota of units an account may consume between two dates. Rows are kept: the newest
    one whose window holds a day is the quota of that day, the others are its history."""

    account = models.ForeignKey(
        "billing.BillingAccount", on_delete=models.CASCADE, related_name="quotas"
    )
    amount = models.DecimalField(_("Credit Quota"), validators=[MinValueValidator(1)], **UNITS)
    effective_date = models.DateField(_("Quota Effective Date"))
    end_date = models.DateField(_("Quota End Date"))
    # The highest share (80 or 100) whose warning went out: each is sent once per quota.
    warned_percent = models.PositiveSmallIntegerField(default=0, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-effective_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("effective_date")), name="quota_window_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount} ({self.effective_date} to {self.end_date})"


class LicenceReminder(models.Model):
    """A reminder sent for one expiry date, ``days_before`` it: sent once however often the
    daily run comes (and again for a new expiry date)."""

    account = models.ForeignKey(
        "billing.BillingAccount", on_delete=models.CASCADE, related_name="licence_reminders"
    )
    expiry_date = models.DateField()
    days_before = models.SmallIntegerField()
    sent = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "expiry_date", "days_before"], name="one_reminder_each"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.expiry_date} -{self.days_before}"


class CutoffAction(models.TextChoices):
    NOTHING = "nothing", _("Nothing")
    SUSPEND = "suspend", _("Suspend, and resume after a top-up")


class ExpiryAction(models.TextChoices):
    WARN = "warn", _("Warn only")
    BLOCK_USERS = "block_users", _("Block new users")
    SUSPEND = "suspend", _("Suspend")


class BillingSettings(models.Model):
    """What the provider decides for every account below it."""

    provider = models.OneToOneField(
        "customers.Organisation", on_delete=models.CASCADE, related_name="billing_settings"
    )
    cutoff_action = models.CharField(
        _("After the grace period at or below the cutoff"),
        max_length=10,
        choices=CutoffAction.choices,
        default=CutoffAction.NOTHING,
    )
    cutoff_grace_days = models.PositiveSmallIntegerField(
        _("Grace period (days)"), default=3, validators=[MinValueValidator(0)]
    )
    expiry_action = models.CharField(
        _("On licence expiry"),
        max_length=12,
        choices=ExpiryAction.choices,
        default=ExpiryAction.WARN,
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("Payment terms (days)"),
        default=DEFAULT_PAYMENT_TERMS_DAYS,
        validators=[MaxValueValidator(MAX_PAYMENT_TERMS_DAYS)],
        help_text=_(
            "An invoice is due this many days after it is issued, unless its customer's "
            "billing account has payment terms of its own."
        ),
    )

    scope_path = "provider__"
    scope_permissions = {"view": "view_billing", "change": "manage_billing"}

    class Meta:
        verbose_name_plural = _("billing settings")

    def __str__(self) -> str:
        return f"Billing settings of {self.provider}"


class StorageRegion(models.Model):
    """Druva's Storage Region: a region the provider defines and places customers in."""

    provider = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="storage_regions"
    )
    name = models.CharField(_("Storage Region"), max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="storage_region_unique")
        ]

    def __str__(self) -> str:
        return self.name
