"""Domains: a customer's primary domain and aliases, each owned by one organisation."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.scoping import ScopedManager
from customers.models.history import ActingHistory
from customers.models.indexes import trigram_index
from customers.models.validators import UNAVAILABLE_FIELD, normalise_domain, validate_domain_name


def new_verification_token() -> str:
    return secrets.token_urlsafe(24)


class VerificationMethod(models.TextChoices):
    DNS = "dns", _("DNS TXT record")
    MANUAL = "manual", _("By hand")
    # Domains that were already UPN suffixes when verification began (see migration 0009).
    EXISTING = "existing", _("Held before verification")


class Domain(models.Model):
    """A DNS domain of an organisation; once verified it becomes a UPN suffix in the directory
    and a mail address of the customer's users.

    A name belongs to one organisation in the whole system and is stored lower-case. Anyone
    can type a name, so a new domain is unverified: the customer proves it owns the name by
    publishing ``canopy-verification=<verification_token>`` as a DNS TXT record (a job looks
    for it), or a provider administrator verifies it by hand.
    """

    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="domains"
    )
    name = models.CharField(
        _("Domain Name"),
        max_length=253,
        unique=True,
        validators=[validate_domain_name],
        error_messages={"unique": UNAVAILABLE_FIELD["domain"]},
    )
    is_primary = models.BooleanField(_("Primary"), default=False)
    created = models.DateTimeField(auto_now_add=True)
    verification_token = models.CharField(
        _("Verification token"), max_length=64, default=new_verification_token, editable=False
    )
    verified_at = models.DateTimeField(_("Verified"), null=True, blank=True, editable=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    verification_method = models.CharField(
        _("Verified by"), max_length=10, choices=VerificationMethod.choices, blank=True
    )
    # What the last DNS check found, in words (shown next to an unverified domain).
    last_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_check_result = models.CharField(max_length=300, blank=True, editable=False)

    # A check that finds nothing changes nothing worth a history row; a verification does.
    history = HistoricalRecords(
        excluded_fields=["last_checked_at", "last_check_result"], bases=[ActingHistory]
    )
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
            trigram_index("name", "domain_name_trgm"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name = normalise_domain(self.name)
        super().save(*args, **kwargs)

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def txt_record(self) -> str:
        """The TXT record's text that proves ownership."""
        return f"canopy-verification={self.verification_token}"
