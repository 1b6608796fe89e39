"""The PDF of an issued document: the page's HTML template rendered by WeasyPrint, stored
under MEDIA_ROOT (never served statically: ``billing.views.invoices`` serves it to those who
may see it), its SHA-256 recorded beside it."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from weasyprint import HTML


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    html = render_to_string(template, context)
    return HTML(string=html).write_pdf()


def store_pdf(document: Any, name: str, data: bytes) -> None:
    """Attach ``data`` as the document's PDF (in the caller's transaction)."""
    document.pdf.save(name, ContentFile(data), save=False)
    document.pdf_sha256 = hashlib.sha256(data).hexdigest()
    type(document).objects.filter(pk=document.pk).update(
        pdf=document.pdf.name, pdf_sha256=document.pdf_sha256
    )
