"""The PDF of an issued document: the page's HTML template rendered by WeasyPrint, stored
under MEDIA_ROOT (never served statically: ``billing.views.invoices`` serves it to those who
may see it), its SHA-256 recorded beside it.

A document wears its issuer's theme (the issuer's own ``effective_branding``): logo, product
name, accent colour and support contacts. The logo's bytes come from the theme's row and
are embedded as a ``data:`` URI; WeasyPrint's fetcher accepts nothing else, so rendering
never reaches the network or the file system whatever a template or a stored value holds.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from customers.models import Organisation, Theme

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def issuer_branding(issuer: Organisation | None) -> dict[str, str]:
    """What a document of ``issuer`` shows of its theme: the issuer's effective branding,
    with the logo as a ``data:`` URI (``logo_data``) and colours only when well formed
    (they go into the PDF's style sheet). Empty values when there is no issuer or theme."""
    if issuer is None:
        return {}
    branding = dict(issuer.effective_branding())
    branding["logo_data"] = ""
    if branding.get("theme_id"):
        row = Theme.objects.filter(pk=branding["theme_id"]).values_list("logo", "logo_type")
        for logo, logo_type in row:
            if logo and logo_type.startswith("image/"):
                encoded = base64.b64encode(bytes(logo)).decode("ascii")
                branding["logo_data"] = f"data:{logo_type};base64,{encoded}"
    for key in ("brand_colour", "accent_colour"):
        if not HEX_COLOUR.fullmatch(branding.get(key) or ""):
            branding[key] = ""
    return branding


def safe_fetcher() -> URLFetcher:
    """WeasyPrint's fetcher for documents: ``data:`` URIs only (no network, no files)."""
    return URLFetcher(allowed_protocols={"data"})


def render_pdf(template: str, context: dict[str, Any], issuer: Organisation | None = None) -> bytes:
    html = render_to_string(template, {**context, "branding": issuer_branding(issuer)})
    return HTML(string=html, url_fetcher=safe_fetcher()).write_pdf()


def store_pdf(document: Any, name: str, data: bytes) -> None:
    """Attach ``data`` as the document's PDF (in the caller's transaction)."""
    document.pdf.save(name, ContentFile(data), save=False)
    document.pdf_sha256 = hashlib.sha256(data).hexdigest()
    type(document).objects.filter(pk=document.pk).update(
        pdf=document.pdf.name, pdf_sha256=document.pdf_sha256
    )
