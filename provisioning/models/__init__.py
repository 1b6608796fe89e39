"""What the engine remembers about the directory objects it made."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedManager


class DirectoryObject(models.Model):
    """An object the engine made in the directory for an organisation, and how to find it.

    ``key`` names its role (``ou:users``, ``group:allusers``, ``policy``, ``suffix:<domain>``;
    a service adds ``group:<service code>``). ``guid`` is its objectGUID, so an object renamed
    or moved in AD is found again instead of duplicated; suffixes have none. The rows also
    say which UPN suffixes this organisation added, so an edit or a deprovision removes only
    those.
    """

    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="directory_objects"
    )
    key = models.CharField(max_length=200)
    guid = models.UUIDField(null=True, blank=True)
    name = models.CharField(max_length=300, help_text=_("The name it was given, for people."))
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "key"], name="one_directory_object_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"


class AdoptionState(models.TextChoices):
    READING = "reading", "Reading the directory"
    READY = "ready", "Ready to adopt"
    ADOPTED = "adopted", "Adopted"
    FAILED = "failed", "Failed"


class Adoption(models.Model):
    """Taking over a tenant that already lives in AD (left by another portal): a job reads
    the OU into ``preview`` (what the portal will create), and a person confirms it, which
    creates the portal's records anchored by objectGUID without writing to the directory."""

    parent = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="adoptions"
    )
    ou_dn = models.CharField("OU", max_length=1000)
    admin_group = models.CharField("Administrators group", max_length=256, blank=True)
    state = models.CharField(
        max_length=20, choices=AdoptionState.choices, default=AdoptionState.READING
    )
    preview = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey(
        "core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "customers.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        "customers.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    scope_path = "parent__"
    scope_permissions = {"view": "add_customer", "change": "add_customer"}

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return self.ou_dn
