"""Themes and white-label host names: what providers and resellers define, and which theme an
organisation wears.

A theme belongs to a provider or reseller; the organisations below it (and a reseller
itself) may choose it as their Active Theme; an organisation with none wears its nearest
ancestor's (``Organisation.effective_branding``). A reseller registers the host names it
serves the portal on; ``portal.middleware.PortalHostMiddleware`` accepts those hosts.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http.request import validate_host
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from core.actors import recorded_user
from core.scoping import has_permission
from customers.models import Organisation, PortalHost, Theme
from customers.models.branding import LOGO_MAX_BYTES, LOGO_TYPES

THEME_FIELDS = (
    "name",
    "product_name",
    "primary_colour",
    "accent_colour",
    "support_email",
    "support_phone",
    "support_url",
    "sign_in_text",
)
# A logo is drawn at most this big; larger pictures are refused rather than scaled.
LOGO_MAX_PIXELS = 2000


def may_define_themes(actor: Any, organisation: Organisation) -> bool:
    """Providers and resellers define themes; their administrators (change_organisation)."""
    return (organisation.is_provider or organisation.is_reseller) and has_permission(
        actor, "change_organisation", organisation
    )


def _require_owner(actor: Any, organisation: Organisation) -> None:
    if not may_define_themes(actor, organisation):
        raise PermissionDenied(_("You may not change the themes of this organisation."))


def available_themes(organisation: Organisation):
    """The Available Themes: those of its ancestors, and its own if it is a reseller (or the
    provider)."""
    owners = [node.pk for node in organisation.ancestor_list()]
    if organisation.is_reseller or organisation.is_provider:
        owners.append(organisation.pk)
    return Theme.objects.filter(owner_id__in=owners).select_related("owner").defer("logo")


def check_logo(upload) -> tuple[bytes, str]:
    """The uploaded logo's bytes and the type it is served as, or a ValidationError on the
    ``logo`` field: at most ``LOGO_MAX_BYTES``, and a PNG, JPEG, GIF or WebP image that
    Pillow opens and verifies (whatever its name or the type the browser claimed). SVG is
    refused: it can carry script."""
    if upload.size > LOGO_MAX_BYTES:
        raise ValidationError(
            {"logo": _("The logo is larger than %(size)d KB.") % {"size": LOGO_MAX_BYTES // 1024}}
        )
    data = upload.read(LOGO_MAX_BYTES + 1)
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationError(
            {"logo": _("The logo is larger than %(size)d KB.") % {"size": LOGO_MAX_BYTES // 1024}}
        )
    not_an_image = ValidationError({"logo": _("The logo must be a PNG, JPEG, GIF or WebP image.")})
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_an_image from None
    if image_format not in LOGO_TYPES:
        raise not_an_image
    if width > LOGO_MAX_PIXELS or height > LOGO_MAX_PIXELS:
        raise ValidationError(
            {
                "logo": _("The logo is larger than %(pixels)d pixels on a side.")
                % {"pixels": LOGO_MAX_PIXELS}
            }
        )
    return data, LOGO_TYPES[image_format]


def _apply(theme: Theme, values: dict[str, Any], logo, remove_logo: bool) -> None:
    for field in THEME_FIELDS:
        if field in values:
            setattr(theme, field, values[field])
    if logo is not None:
        theme.logo, theme.logo_type = check_logo(logo)
    elif remove_logo:
        theme.logo, theme.logo_type = None, ""


def _unique_name(theme: Theme) -> None:
    clash = Theme.objects.filter(owner_id=theme.owner_id, name=theme.name).exclude(pk=theme.pk)
    if clash.exists():
        raise ValidationError({"name": _("This organisation already has a theme of this name.")})


@transaction.atomic
def create_theme(*, actor: Any, owner: Organisation, values: dict[str, Any], logo=None) -> Theme:
    _require_owner(actor, owner)
    theme = Theme(owner=owner)
    _apply(theme, values, logo, remove_logo=False)
    _unique_name(theme)
    theme.full_clean()
    theme.save()
    return theme


@transaction.atomic
def update_theme(
    *, actor: Any, theme: Theme, values: dict[str, Any], logo=None, remove_logo: bool = False
) -> Theme:
    _require_owner(actor, theme.owner)
    _apply(theme, values, logo, remove_logo)
    _unique_name(theme)
    theme.full_clean()
    theme.save()
    return theme


@transaction.atomic
def delete_theme(*, actor: Any, theme: Theme) -> None:
    """Delete a theme; the organisations that wore it inherit again."""
    _require_owner(actor, theme.owner)
    for organisation in Organisation.objects.filter(active_theme=theme):
        organisation.active_theme = None
        organisation._history_user = recorded_user(actor)
        organisation.save(update_fields=["active_theme", "updated"])
    theme.delete()


@transaction.atomic
def set_active_theme(*, actor: Any, organisation: Organisation, theme: Theme | None) -> None:
    """Choose the Active Theme among the Available Themes (None: inherit the nearest
    ancestor's). Recorded in the organisation's history."""
    if not has_permission(actor, "change_organisation", organisation):
        raise PermissionDenied(_("You may not change this organisation's theme."))
    if theme is not None and not available_themes(organisation).filter(pk=theme.pk).exists():
        raise ValidationError({"theme": _("Choose one of the Available Themes.")})
    organisation.active_theme = theme
    organisation._history_user = recorded_user(actor)
    organisation.save(update_fields=["active_theme", "updated"])


def normalise_host_name(host_name: str) -> str:
    return (host_name or "").strip().rstrip(".").lower()


@transaction.atomic
def add_portal_host(*, actor: Any, organisation: Organisation, host_name: str) -> PortalHost:
    """Register a white-label host name for a reseller. Names the operator already serves
    (``ALLOWED_HOSTS``) are not a reseller's to take."""
    if not organisation.is_reseller or organisation.is_provider:
        raise PermissionDenied(_("Only resellers register their own host names."))
    if not has_permission(actor, "change_organisation", organisation):
        raise PermissionDenied(_("You may not change this organisation's host names."))
    host_name = normalise_host_name(host_name)
    if validate_host(host_name, settings.ALLOWED_HOSTS):
        raise ValidationError({"host_name": _("This host name is not available.")})
    host = PortalHost(organisation=organisation, host_name=host_name)
    host.full_clean()
    host.save()
    return host


@transaction.atomic
def remove_portal_host(*, actor: Any, host: PortalHost) -> None:
    if not has_permission(actor, "change_organisation", host.organisation):
        raise PermissionDenied(_("You may not change this organisation's host names."))
    host.delete()
