"""Webhooks: an organisation's admins have Canopy call their HTTPS endpoint when something
happens in their subtree (a customer created, a lifecycle change, a job done, a user made).

Each event becomes one delivery row per webhook, sent by a worker after the change commits
and retried with backoff; every attempt is kept (status code, time, error) so the admins see
what their endpoint answered and can send a delivery again by hand.

The signing secret must be usable to sign, so it is stored encrypted with the project's
credential key (``core.credentials``), never in clear; it is shown once, when made.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedManager


class WebhookEvent(models.TextChoices):
    CUSTOMER_CREATED = "customer.created", _("Customer created")
    LIFECYCLE_CHANGED = "customer.lifecycle_changed", _("Customer lifecycle changed")
    JOB_SUCCEEDED = "job.succeeded", _("Job succeeded")
    JOB_FAILED = "job.failed", _("Job failed")
    USER_CREATED = "user.created", _("User created")
    PAYMENT_RECORDED = "billing.payment_recorded", _("Payment recorded")
    INVOICE_ISSUED = "billing.invoice_issued", _("Invoice issued")


class Webhook(models.Model):
    """An HTTPS endpoint of an organisation, called for the chosen events in its subtree."""

    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(_("Payload URL"), max_length=500)
    events = models.JSONField(_("Events"), default=list)
    secret = models.TextField(editable=False, help_text="The signing secret, encrypted.")
    is_active = models.BooleanField(_("Active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_path = "organisation__"
    # The organisation's admins (those who may change it): Help Desk does not see them.
    scope_permissions = {"view": "change_organisation", "change": "change_organisation"}

    class Meta:
        ordering = ["organisation_id", "pk"]

    def __str__(self) -> str:
        return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event for one webhook: sent until the endpoint answers 2xx or the attempts run
    out; ``next_attempt_at`` is when the worker (or beat, should a message be lost) tries."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("Event"), max_length=50, choices=WebhookEvent.choices)
    payload = models.JSONField(default=dict)
    state = models.CharField(
        _("State"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(_("Attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created = models.DateTimeField(_("Created"), auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(_("Delivered"), null=True, blank=True)

    objects = ScopedManager()
    scope_path = "webhook__organisation__"
    scope_permissions = {"view": "change_organisation", "change": "change_organisation"}

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.event} to {self.webhook_id}"


class WebhookAttempt(models.Model):
    """One try: what the endpoint answered (``status_code``), or why there was no answer."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_rows"
    )
    at = models.DateTimeField(_("Time"), auto_now_add=True)
    status_code = models.PositiveIntegerField(_("Status code"), null=True, blank=True)
    error = models.CharField(_("Error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
