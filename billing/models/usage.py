"""The daily usage snapshot: how many seats each subscription held on a day.

Taken once per (subscription, day) by the daily run (the unique constraint makes a second run
a no-op), kept for reports, and the base of the prepaid customers' daily debit.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models.account import UNITS
from core.scoping import ScopedManager


class UsageSnapshot(models.Model):
    subscription = models.ForeignKey(
        "customers.CustomerService", on_delete=models.CASCADE, related_name="usage_snapshots"
    )
    # The subscription's organisation that day (reports and the debit join on it).
    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="usage_snapshots"
    )
    day = models.DateField(_("Day"))
    seats = models.PositiveIntegerField(_("Seats"))
    # The organisation's status that day: a postpaid invoice does not bill suspended days.
    organisation_status = models.CharField(max_length=20, blank=True)
    unit_rate = models.DecimalField(_("Units per seat per day"), **UNITS)
    units = models.DecimalField(_("Units"), **UNITS)
    # Set in the transaction that writes the day's debit: what the next run still owes is
    # read here, not by searching the ledger.
    debited = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_path = "organisation__"
    scope_permissions = {"view": "view_billing"}

    class Meta:
        ordering = ["-day", "subscription_id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "day"], name="one_snapshot_a_day")
        ]
        indexes = [
            models.Index(fields=["day", "organisation"], name="usage_day_organisation"),
            # The monthly run reads a batch of customers' period: without it, every batch
            # scanned the whole period of every customer (a run grew with N squared).
            models.Index(fields=["organisation", "day"], name="usage_organisation_day"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} on {self.day}: {self.seats}"
