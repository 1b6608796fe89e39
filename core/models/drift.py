"""What reconciling found: a drift report per run, and the objects set aside in quarantine.

Both live in ``core`` beside the Job that makes them, because the customer's pages
(``customers``) show them and the engine (``provisioning``) writes them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedManager


class DriftReport(models.Model):
    """One reconcile run of one organisation: the differences it found between the portal
    and the directory (``differences``: a list of ``{kind, what, name, detail}``), and, when
    the run repaired them, how many were left afterwards (``remaining``; a report-only run
    leaves them all). A customer "has drift" while its latest report has some remaining."""

    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="drift_reports"
    )
    job = models.ForeignKey(
        "core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    repair = models.BooleanField(_("Repair"), default=False)
    differences = models.JSONField(default=list, blank=True)
    found = models.PositiveIntegerField(_("Differences found"), default=0)
    remaining = models.PositiveIntegerField(_("Differences remaining"), default=0)
    checked = models.PositiveIntegerField(_("Objects checked"), default=0)
    error = models.TextField(blank=True)

    objects = ScopedManager()

    scope_path = "organisation__"
    scope_permissions = {"view": "view_jobs", "change": "manage_jobs"}

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["organisation", "-created"], name="drift_org_created")]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.found} found, {self.remaining} remaining"


class QuarantineState(models.TextChoices):
    QUARANTINED = "quarantined", _("Quarantined")
    ADOPTED = "adopted", _("Adopted into the portal")
    DELETING = "deleting", _("Being deleted")
    DELETED = "deleted", _("Deleted for good")


class QuarantinedObject(models.Model):
    """An account or group found in a tenant's OU that the portal does not know: disabled
    and moved to the tenant's Quarantine OU by a repair, never deleted, until a person
    adopts it into the portal or deletes it for good. Found again by ``guid``."""

    ACCOUNT, GROUP = "account", "group"
    KINDS = [(ACCOUNT, _("Account")), (GROUP, _("Group"))]

    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="quarantined_objects"
    )
    guid = models.UUIDField()
    kind = models.CharField(_("Kind"), max_length=20, choices=KINDS)
    name = models.CharField(_("Name"), max_length=256)
    upn = models.CharField(_("UPN"), max_length=256, blank=True)
    # What the account said about its person, so an adoption keeps it.
    details = models.JSONField(default=dict, blank=True)
    dn = models.CharField(_("Where it is"), max_length=1024)
    reason = models.CharField(_("Why"), max_length=1024)
    state = models.CharField(
        max_length=20, choices=QuarantineState.choices, default=QuarantineState.QUARANTINED
    )
    quarantined_at = models.DateTimeField(auto_now_add=True)
    job = models.ForeignKey(
        "core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager()

    scope_path = "organisation__"
    scope_permissions = {"view": "view_jobs", "change": "manage_jobs"}

    class Meta:
        ordering = ["organisation", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "guid"], name="one_quarantine_row_per_object"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"
