"""Issuing: a draft invoice gets the issuer's next number, its dates, who issued it to whom
as they are today, and its PDF, all in one transaction; from then on it never changes."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.actions.accounts import may_manage
from billing.actions.documents import render_pdf, store_pdf
from billing.actions.invoicing import may_manage_issuer, period_of
from billing.actions.numbering import next_number
from billing.actions.provider import payment_terms
from billing.actions.tax import RateTable, issuer_country, tax_for
from billing.models import BillingAccount, DocumentKind, Invoice, InvoiceStatus, TaxTreatment
from customers.actions import webhooks
from customers.models import Organisation, WebhookEvent


def party(organisation: Organisation, account: BillingAccount | None) -> dict[str, str]:
    """Name, address and VAT number as a document prints them."""
    if account is not None:
        account.organisation = organisation
        address = account.billing_address()
    else:
        address = {
            name: getattr(organisation, name)
            for name in ("address", "city", "state", "zip_code", "country")
        }
    return {
        "name": organisation.brand_name or organisation.name,
        "legal_name": organisation.name,
        "code": organisation.code,
        "email": organisation.email,
        "vat_number": account.vat_number if account is not None else "",
        "tax_country": account.tax_country if account is not None else "",
        **address,
    }


def require_issuer_admin(actor: Any, customer: Organisation) -> None:
    if not may_manage(actor, customer):
        raise PermissionDenied(_("Only the admins of the issuer issue this customer's invoices."))


def invoice_context(invoice: Invoice) -> dict[str, Any]:
    return {"invoice": invoice, "lines": list(invoice.lines.all())}


def render_invoice(invoice: Invoice) -> None:
    data = render_pdf("billing/pdf/invoice.html", invoice_context(invoice), issuer=invoice.issuer)
    store_pdf(invoice, f"{invoice.number}.pdf", data)


def check_tax(
    invoice: Invoice, account: BillingAccount, issuer_account: BillingAccount | None
) -> None:
    """Refuse to issue a draft whose VAT is no longer what the customer's profile and the
    rate table give (a tax country or VAT number changed, a rate added or removed since the
    run): a clear error, never an invoice with the wrong tax."""
    tax = tax_for(account, issuer_country(issuer_account), invoice.period_end, RateTable())
    rates = set(invoice.lines.values_list("vat_rate", flat=True))
    if tax.treatment != invoice.tax_treatment or rates - {tax.rate}:
        raise ValidationError(
            _(
                "The VAT of this customer changed since the draft was made (now: "
                "%(treatment)s, %(rate)s %%): run the period again, then issue."
            )
            % {"treatment": TaxTreatment(tax.treatment).label, "rate": tax.rate}
        )


def issue_invoice(*, actor: Any, invoice: Invoice, today: datetime.date | None = None) -> Invoice:
    """Issue one draft (the issuer's admins). Refused: already issued, or nothing on it."""
    require_issuer_admin(actor, invoice.customer)
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().select_related("customer", "issuer")
        locked = locked.get(pk=invoice.pk)
        if not locked.is_draft:
            raise ValidationError(_("This invoice is issued already."))
        if not locked.lines.exists():
            raise ValidationError(_("There is nothing on this invoice to bill."))
        accounts = {
            a.organisation_id: a
            for a in BillingAccount.objects.filter(
                organisation_id__in=[locked.customer_id, locked.issuer_id]
            )
        }
        customer_account = accounts.get(locked.customer_id)
        if customer_account is not None:
            check_tax(locked, customer_account, accounts.get(locked.issuer_id))
        terms = payment_terms(locked.customer, customer_account)
        locked.number = next_number(locked.issuer, DocumentKind.INVOICE, today)
        locked.status = InvoiceStatus.ISSUED
        locked.issued_on = today
        locked.due_on = today + datetime.timedelta(days=terms)
        locked.issuer_details = party(locked.issuer, accounts.get(locked.issuer_id))
        locked.customer_details = party(locked.customer, customer_account)
        locked.save()
        render_invoice(locked)
        webhooks.emit(
            WebhookEvent.INVOICE_ISSUED,
            locked.customer_id,
            {
                "invoice": locked.pk,
                "number": locked.number,
                "organisation": locked.customer_id,
                "issuer": locked.issuer_id,
                "total": locked.total,
                "currency": locked.currency,
                "issued_on": locked.issued_on,
                "due_on": locked.due_on,
            },
        )
    return locked


def issue_period(
    *, actor: Any, issuer: Organisation, day: datetime.date, today: datetime.date | None = None
) -> list[Invoice]:
    """Issue every draft of ``issuer`` for the period holding ``day`` that bills something,
    each in a transaction of its own (one failure does not undo the others)."""
    if not may_manage_issuer(actor, issuer):
        raise PermissionDenied(_("You may not issue the invoices of this organisation."))
    start, _end = period_of(day)
    drafts = (
        Invoice.objects.filter(
            issuer=issuer, period_start=start, status=InvoiceStatus.DRAFT, lines__isnull=False
        )
        .distinct()
        .select_related("customer")
        .order_by("customer__code", "pk")
    )
    return [issue_invoice(actor=actor, invoice=draft, today=today) for draft in drafts]
