"""What the Reports read and remember: the daily usage rollup and the monthly e-mails.

``UsageRollup`` holds, per issuer (the organisation that bills a customer: its parent), service
and day, the seats of all the issuer's customers together. A reseller's usage chart over a month
reads at most (issuers in its subtree x services x days) rows of it instead of every snapshot of
every customer below: at 100,000 customers the chart's query stays small. It is written by the
daily run, in the transaction that takes the snapshot (``billing.actions.reports.roll_up``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedManager


class UsageRollup(models.Model):
    """The seats of every customer ``issuer`` bills, per service and day."""

    issuer = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="usage_rollups"
    )
    service = models.ForeignKey(
        "customers.Service", on_delete=models.CASCADE, related_name="usage_rollups"
    )
    day = models.DateField(_("Day"))
    seats = models.PositiveIntegerField(_("Seats"))

    objects = ScopedManager()
    scope_path = "issuer__"
    scope_permissions = {"view": "view_billing"}

    class Meta:
        ordering = ["day", "service_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "service", "day"], name="usage_rollup_one_a_day"
            )
        ]
        indexes = [models.Index(fields=["day", "issuer"], name="usage_rollup_day_issuer")]

    def __str__(self) -> str:
        return f"{self.issuer_id} {self.service_id} {self.day}: {self.seats}"


class ReportKind(models.TextChoices):
    USAGE = "usage", _("Usage")
    LICENCE = "licence", _("Licence")
    RECEIVABLES = "receivables", _("Receivables")
    REVENUE = "revenue", _("Revenue and margin")
    JOURNAL = "journal", _("Accounting export")


# An issuer's money reports: its own business, for whoever may manage its billing, and only
# on a reseller (or the provider): a customer bills nobody.
FINANCE_REPORTS = frozenset({ReportKind.RECEIVABLES, ReportKind.REVENUE, ReportKind.JOURNAL})


class FileFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel (XLSX)")


class ReportSubscription(models.Model):
    """A person's monthly e-mail of a report on an organisation's subtree, as a file.

    Sent on the 1st for the month before (``billing.tasks.monthly_reports``);
    ``last_period`` is the first day of the month last sent, claimed before sending so a
    second run of the beat task sends nothing twice. A failure is kept in ``last_error``.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    report = models.CharField(_("Report"), max_length=20, choices=ReportKind.choices)
    file_format = models.CharField(
        _("Format"), max_length=4, choices=FileFormat.choices, default=FileFormat.CSV
    )
    created = models.DateTimeField(auto_now_add=True)
    last_period = models.DateField(null=True, blank=True, editable=False)
    last_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=500, blank=True, editable=False)

    objects = ScopedManager()
    scope_path = "organisation__"
    scope_permissions = {"view": "view_billing"}

    class Meta:
        ordering = ["report", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "report"], name="one_report_subscription"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_report_display()} of {self.organisation_id} to {self.user_id}"
