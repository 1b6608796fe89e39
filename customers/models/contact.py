"""Contact persons of an organisation (the Contact Details tab)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.scoping import ScopedManager
from customers.models.history import ActingHistory
from customers.models.indexes import trigram_index


class Contact(models.Model):
    """A person who represents the organisation: not a login, just someone to call."""

    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("Name"), max_length=200)
    phone = models.CharField(_("Phone Number"), max_length=40, blank=True)
    email = models.EmailField(_("Email Address"), blank=True)
    role = models.CharField(_("Role"), max_length=100, blank=True)

    history = HistoricalRecords(bases=[ActingHistory])
    objects = ScopedManager()

    scope_path = "organisation__"
    scope_permissions = {"view": "view_organisation", "change": "change_organisation"}

    class Meta:
        ordering = ["name"]
        indexes = [
            # The Customers search: email__icontains is UPPER(email) LIKE UPPER(term).
            trigram_index("email", "contact_email_trgm"),
        ]

    def __str__(self) -> str:
        return self.name
