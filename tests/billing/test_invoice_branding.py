"""Issue 12, "PDFs use the sender's theme": an invoice, credit note or statement wears its
issuer's theme (logo, product name, accent colour, support contacts), read with poppler."""

from __future__ import annotations

import subprocess

import pytest
from django.urls import reverse
from weasyprint import HTML

from billing.actions.documents import issuer_branding, safe_fetcher
from customers.models import Organisation
from tests.fixtures.invoices import credit_note, issued_invoice
from tests.fixtures.themes import png_bytes, reseller_theme, theme_of

pytestmark = pytest.mark.django_db


def pdf_text(path: str) -> str:
    return subprocess.run(
        ["pdftotext", path, "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_images(path: str) -> list[str]:
    """The rows of ``pdfimages -list`` below its two header lines."""
    listing = subprocess.run(
        ["pdfimages", "-list", path], capture_output=True, text=True, check=True
    ).stdout
    return [row for row in listing.splitlines()[2:] if row.strip()]


def test_a_resellers_invoice_shows_its_logo_product_name_and_support_contacts(cast):
    reseller_theme(cast)
    invoice = issued_invoice(cast)
    text = pdf_text(invoice.pdf.path)
    assert "Reseller One Cloud" in text
    assert "help@reseller.example" in text
    assert "RONE-2026-000001" in text
    assert len(pdf_images(invoice.pdf.path)) == 1


def test_the_issuers_theme_wins_over_the_customers_own(cast):
    reseller_theme(cast)
    own = theme_of(cast.reseller, name="Customer Look", product_name="Customer Portal")
    Organisation.objects.filter(pk=cast.customer.pk).update(active_theme=own)
    text = pdf_text(issued_invoice(cast).pdf.path)
    assert "Reseller One Cloud" in text and "Customer Portal" not in text


def test_a_credit_note_wears_the_issuers_theme_too(cast):
    reseller_theme(cast)
    note = credit_note(cast)
    text = pdf_text(note.pdf.path)
    assert "Reseller One Cloud" in text and "help@reseller.example" in text
    assert len(pdf_images(note.pdf.path)) == 1


def test_without_a_theme_the_invoice_still_renders_plainly(cast):
    invoice = issued_invoice(cast)
    text = pdf_text(invoice.pdf.path)
    assert "RONE-2026-000001" in text and "Support" not in text
    assert pdf_images(invoice.pdf.path) == []


def test_the_logo_is_embedded_and_bad_colours_are_dropped(cast):
    reseller_theme(cast)
    branding = issuer_branding(cast.reseller)
    assert branding["logo_data"].startswith("data:image/png;base64,")
    assert branding["accent_colour"] == "#114477"
    assert issuer_branding(None) == {}


def test_the_statement_pdf_wears_the_theme_of_the_customers_issuer(cast, login, tmp_path):
    reseller_theme(cast)
    issued_invoice(cast)
    response = login(cast.customer_admin).get(
        reverse("billing:statement_pdf", args=[cast.customer.pk]),
        {"start": "2026-12-01", "end": "2026-12-31"},
    )
    path = tmp_path / "statement.pdf"
    path.write_bytes(response.content)
    text = pdf_text(str(path))
    assert "Reseller One Cloud" in text and "help@reseller.example" in text
    assert len(pdf_images(str(path))) == 1


def test_rendering_fetches_nothing_but_data_uris(tmp_path, settings):
    """A stored value or template that names a file or a web address draws nothing."""
    secret = tmp_path / "secret.png"
    secret.write_bytes(png_bytes())
    html = f'<img src="file://{secret}"><img src="http://127.0.0.1:9/x.png">'
    out = tmp_path / "out.pdf"
    out.write_bytes(HTML(string=html).write_pdf())
    assert len(pdf_images(str(out))) == 1  # WeasyPrint's default fetcher reads the file
    out.write_bytes(HTML(string=html, url_fetcher=safe_fetcher()).write_pdf())
    assert pdf_images(str(out)) == []
