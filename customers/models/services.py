"""The service catalogue, plans, and which customers and users have which services."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.scoping import ScopedManager
from customers.models.history import ActingHistory
from customers.models.validators import validate_code


class ServiceType(models.TextChoices):
    """Built-in kinds of service. Each has a directory behaviour in ``provisioning``."""

    RESELLER = "reseller", _("Reseller")
    DIRECTORY_ACCOUNT = "directory_account", _("Directory account")
    SECURITY_GROUP = "security_group", _("Security group")
    HOME_FOLDER = "home_folder", _("Home folder")
    MAIL_ATTRIBUTES = "mail_attributes", _("Mail attributes")


class Service(models.Model):
    """A service in the provider's catalogue (VPN, File Share, Reseller, ...)."""

    code = models.CharField(_("Code"), max_length=20, unique=True, validators=[validate_code])
    name = models.CharField(_("Name"), max_length=100, unique=True)
    description = models.TextField(_("Description"), blank=True, max_length=2000)
    service_type = models.CharField(
        _("Type"),
        max_length=50,
        help_text=_("What the service does in the directory."),
    )
    settings = models.JSONField(_("Settings"), default=dict, blank=True)
    is_active = models.BooleanField(_("Available"), default=True)

    history = HistoricalRecords(bases=[ActingHistory])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Plan(models.Model):
    """A way to buy a service (Standard, Premium): settings, a user limit and prices."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="plans")
    name = models.CharField(_("Name"), max_length=100)
    settings = models.JSONField(_("Settings"), default=dict, blank=True)
    user_limit = models.PositiveIntegerField(
        _("User limit"), null=True, blank=True, help_text=_("Leave empty for no limit.")
    )
    price_per_user_month = models.DecimalField(
        _("Price per user per month"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    setup_fee = models.DecimalField(
        _("Setup fee"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    # What a prepaid customer's balance pays for each seat of this plan each day.
    unit_rate = models.DecimalField(
        _("Units per seat per day"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )

    history = HistoricalRecords(bases=[ActingHistory])

    class Meta:
        ordering = ["service__name", "name"]
        constraints = [models.UniqueConstraint(fields=["service", "name"], name="unique_plan_name")]

    def __str__(self) -> str:
        return f"{self.service.name} {self.name}"


class SubscriptionStatus(models.TextChoices):
    PROVISIONING = "provisioning", _("Provisioning")
    ACTIVE = "active", _("Active")
    DEPROVISIONING = "deprovisioning", _("Deprovisioning")
    FAILED = "failed", _("Failed")


class CustomerService(models.Model):
    """A service provisioned to an organisation, with its plan and allocated seats.

    ``user_limit`` is the number of seats this organisation was given. For a reseller it is a
    pool: the seats given to its sub-customers may not add up to more.
    """

    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="services"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="subscriptions")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    user_limit = models.PositiveIntegerField(_("Seats"), null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=SubscriptionStatus.choices, default=SubscriptionStatus.PROVISIONING
    )
    directory_guid = models.UUIDField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(bases=[ActingHistory])
    objects = ScopedManager()

    scope_path = "organisation__"
    scope_permissions = {"view": "view_organisation", "change": "manage_services"}

    class Meta:
        ordering = ["service__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "service"], name="one_subscription_per_service"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service} for {self.organisation}"


class UserService(models.Model):
    """A service given to one user (membership of the service's group, attributes, ...)."""

    user = models.ForeignKey("customers.User", on_delete=models.CASCADE, related_name="services")
    subscription = models.ForeignKey(
        CustomerService, on_delete=models.CASCADE, related_name="assignments"
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    scope_path = "user__organisation__"
    scope_permissions = {"view": "view_users", "change": "assign_services"}

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "subscription"], name="one_assignment")
        ]

    def __str__(self) -> str:
        return f"{self.subscription.service} for {self.user}"
