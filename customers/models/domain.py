"""Domains: a customer's primary domain and aliases, each owned by one organisation."""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper
from simple_history.models import HistoricalRecords

from core.scoping import ScopedManager
from customers.models.validators import UNAVAILABLE_FIELD, normalise_domain, validate_domain_name


class Domain(models.Model):
    """A DNS domain of an organisation; becomes a UPN suffix in the directory.

    A name belongs to one organisation in the whole system and is stored lower-case.
    """

    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="domains"
    )
    name = models.CharField(
        "Domain Name",
        max_length=253,
        unique=True,
        validators=[validate_domain_name],
        error_messages={"unique": UNAVAILABLE_FIELD["domain"]},
    )
    is_primary = models.BooleanField("Primary", default=False)
    created = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = ScopedManager()

    scope_path = "organisation__"
    scope_permissions = {"view": "view_organisation", "change": "change_organisation"}

    class Meta:
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(is_primary=True),
                name="one_primary_domain_per_organisation",
            )
        ]
        indexes = [
            # The Customers search: name__icontains is UPPER(name) LIKE UPPER(term).
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="domain_name_trgm"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name = normalise_domain(self.name)
        super().save(*args, **kwargs)
