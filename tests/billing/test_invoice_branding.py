"""Issue 12, "PDFs use the sender's theme": an invoice, credit note or statement wears its
issuer's theme (logo, product name, accent colour, support contacts), read with poppler."""

from __future__ import annotations

import subprocess

import pytest

from billing.actions.documents import issuer_branding
from customers.models import Organisation
from tests.fixtures.invoices import credit_note, issued_invoice
from tests.fixtures.themes import reseller_theme, theme_of

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
