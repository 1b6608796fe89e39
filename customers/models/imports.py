"""Bulk imports of users: a validated file waiting for the admin's go-ahead."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedManager


class ImportState(models.TextChoices):
    VALIDATED = "validated", _("Validated")
    QUEUED = "queued", _("Importing")
    IMPORTED = "imported", _("Imported")


class UserImport(models.Model):
    """One uploaded CSV or XLSX file of users, validated row by row.

    ``errors`` lists what is wrong, by row and column, without values of the password column.
    ``rows`` holds the valid rows encrypted (they carry passwords) until they are imported or
    the upload expires; it is erased then, so no password rests here.
    """

    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="user_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    filename = models.CharField(max_length=255)
    created = models.DateTimeField(auto_now_add=True)
    state = models.CharField(
        max_length=20, choices=ImportState.choices, default=ImportState.VALIDATED
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_valid = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    rows = models.TextField(blank=True, help_text=_("The valid rows, encrypted; erased after use."))
    imported = models.PositiveIntegerField(default=0)
    job = models.ForeignKey(
        "core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who pressed Import, and how: a worker creates the users (``import_queued``) as them.
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    queued_at = models.DateTimeField(null=True, blank=True)
    only_valid = models.BooleanField(default=False)
    failure = models.TextField(blank=True, help_text=_("Why the last import was refused."))

    objects = ScopedManager()

    scope_path = "organisation__"
    scope_permissions = {"view": "add_users", "change": "add_users"}

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.filename} for {self.organisation}"

    @property
    def clean(self) -> bool:
        return not self.errors
