"""What the engine remembers about the directory objects it made."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
