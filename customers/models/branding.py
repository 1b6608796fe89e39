"""Themes (a provider's or reseller's look: name, logo, colours, support details) and the
white-label host names a reseller serves the portal on."""

from __future__ import annotations

import re

from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedManager

HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour such as #1f6feb."))
# A host name as browsers send it: lower-case RFC 1123 labels, at least two, no port.
HOST_NAME = RegexValidator(
    r"^(?=.{1,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?!-)[a-z0-9-]{2,63}(?<!-)$",
    _("Enter a host name such as portal.example.com (letters, digits, dots and hyphens)."),
    flags=re.IGNORECASE,
)
LOGO_MAX_BYTES = 256 * 1024
# The image formats a logo may have (checked by opening it), with the type it is served as.
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


class Theme(models.Model):
    """A look a provider or reseller defines (the manuals' Themes; Atria's branding).

    The organisations below its owner may choose it as their Active Theme; an organisation
    with none inherits its nearest ancestor's (``Organisation.effective_branding``). The logo
    lives in the row: it is small (``LOGO_MAX_BYTES``), checked to be an image when uploaded,
    and served by ``customers.views.themes.theme_logo`` with the type found then.
    """

    owner = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="themes"
    )
    name = models.CharField(_("Name"), max_length=100)
    product_name = models.CharField(
        _("Product name"), max_length=100, help_text=_("Shown in the title bar and the header.")
    )
    primary_colour = models.CharField(
        _("Primary colour"), max_length=7, default="#1f5f3f", validators=[HEX_COLOUR]
    )
    accent_colour = models.CharField(
        _("Accent colour"), max_length=7, default="#0d6efd", validators=[HEX_COLOUR]
    )
    logo = models.BinaryField(_("Logo"), null=True, blank=True, editable=False)
    logo_type = models.CharField(max_length=20, blank=True, editable=False)
    support_email = models.EmailField(_("Support e-mail"), blank=True)
    support_phone = models.CharField(_("Support phone"), max_length=40, blank=True)
    support_url = models.URLField(_("Support URL"), blank=True)
    sign_in_text = models.TextField(_("Sign-in page text"), max_length=1000, blank=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ScopedManager()

    scope_path = "owner__"
    scope_permissions = {"view": "view_organisation", "change": "change_organisation"}

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="theme_unique_name_per_owner")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def organisation(self):
        """The scoping API's ``organisation_of``: a theme belongs to its owner."""
        return self.owner

    @property
    def version(self) -> str:
        """Part of the logo's URL: changes whenever the theme does (browsers may cache the
        logo for long), and is keyed with SECRET_KEY, so the URL cannot be guessed from the
        theme's number. Whoever has the URL may load the logo: an e-mail client does,
        signed in nowhere (``customers.views.themes.theme_logo``)."""
        return salted_hmac(
            "canopy.theme.logo", f"{self.pk}:{self.updated.isoformat()}", algorithm="sha256"
        ).hexdigest()[:20]

    def logo_url(self) -> str:
        if not self.logo_type:
            return ""
        return reverse("theme_logo", args=[self.pk, self.version])


class PortalHost(models.Model):
    """A host name a reseller serves the portal on (white-label): requests for it are
    accepted (``portal.middleware.PortalHostMiddleware``) and its sign-in page wears the
    reseller's theme."""

    organisation = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="portal_hosts"
    )
    host_name = models.CharField(
        _("Host name"),
        max_length=253,
        unique=True,
        validators=[HOST_NAME],
        error_messages={"unique": _("This host name is not available.")},
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    scope_path = "organisation__"
    scope_permissions = {"view": "view_organisation", "change": "change_organisation"}

    class Meta:
        ordering = ["host_name"]

    def __str__(self) -> str:
        return self.host_name
