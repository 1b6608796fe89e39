"""Unit offers an issuer sells to its customers, and the purchases of them."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models.account import UNITS, ZERO
from core.scoping import ScopedManager

POSITIVE = MinValueValidator(ZERO)


class UnitOffer(models.Model):
    """A bundle of units (Name, Units, Price) the ``issuer`` sells to its customers."""

    issuer = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="unit_offers"
    )
    name = models.CharField(_("Name"), max_length=100)
    units = models.DecimalField(_("Units"), validators=[MinValueValidator(1)], **UNITS)
    price = models.DecimalField(_("Price"), validators=[POSITIVE], **UNITS)
    is_active = models.BooleanField(_("Active"), default=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    # The issuer's own admins manage its offers (unlike an account, decided one level up).
    scope_path = "issuer__"
    scope_permissions = {"view": "view_billing", "change": "manage_billing"}

    class Meta:
        ordering = ["issuer_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "name"], name="unit_offer_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class PurchaseState(models.TextChoices):
    AWAITING_PAYMENT = "awaiting", _("Awaiting payment")
    CREDITED_UNPAID = "unpaid", _("Credited, payment due")
    PAID = "paid", _("Paid")


class Purchase(models.Model):
    """An offer added to a customer. A credit customer's units are credited at once and paid
    later; anyone else's wait for the payment to be recorded."""

    account = models.ForeignKey(
        "billing.BillingAccount", on_delete=models.PROTECT, related_name="purchases"
    )
    offer = models.ForeignKey(UnitOffer, on_delete=models.PROTECT, related_name="purchases")
    units = models.DecimalField(_("Units"), **UNITS)
    price = models.DecimalField(_("Price"), **UNITS)
    description = models.CharField(_("Description"), max_length=300)
    state = models.CharField(_("Payment"), max_length=10, choices=PurchaseState.choices)
    credit = models.OneToOneField(
        "billing.Transaction", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment_reference = models.CharField(_("Payment reference"), max_length=100, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ScopedManager()
    scope_path = "account__organisation__"
    scope_permissions = {"view": "view_billing", "change": "manage_billing"}

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.offer} ({self.get_state_display()})"
