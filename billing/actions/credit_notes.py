"""Credit notes: the one way to correct an issued invoice. Full (everything not credited yet)
or partial (an amount per line), with a reason, numbered from the issuer's own credit note
sequence, rendered to PDF, and never changed afterwards."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.actions.documents import render_pdf, store_pdf
from billing.actions.issuing import require_issuer_admin
from billing.actions.numbering import next_number
from billing.actions.payments import as_amount, settle
from billing.models import (
    CreditNote,
    CreditNoteLine,
    DocumentKind,
    Invoice,
    InvoiceStatus,
    money,
)
from core.actors import recorded_user

ZERO = Decimal("0")


def creditable(invoice: Invoice) -> dict[int, Decimal]:
    """The net amount of each line not credited yet, by line id."""
    credited = dict(invoice.lines.annotate(done=Sum("credits__net")).values_list("pk", "done"))
    return {line.pk: line.net - (credited.get(line.pk) or ZERO) for line in invoice.lines.all()}


def create_credit_note(
    *,
    actor: Any,
    invoice: Invoice,
    reason: str,
    amounts: dict[int, Any] | None = None,
    today: datetime.date | None = None,
) -> CreditNote:
    """Credit ``invoice``: fully (``amounts`` None) or the net ``amounts`` per line id."""
    require_issuer_admin(actor, invoice.customer)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the invoice is credited.")})
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().select_related("issuer").get(pk=invoice.pk)
        if locked.is_draft:
            raise ValidationError(_("A draft is changed by running it again, not credited."))
        open_lines = creditable(locked)
        lines = {line.pk: line for line in locked.lines.all()}
        if amounts is None:
            wanted = {pk: left for pk, left in open_lines.items() if left > 0}
        else:
            wanted = {}
            for pk, value in amounts.items():
                if value in (None, ""):
                    continue
                amount = as_amount(value)
                if int(pk) not in lines:
                    raise ValidationError({"amount": _("That line is not on this invoice.")})
                if amount > open_lines[int(pk)]:
                    raise ValidationError(
                        {"amount": _("That is more than is left to credit on the line.")}
                    )
                wanted[int(pk)] = amount
        if not wanted:
            raise ValidationError(_("There is nothing left to credit on this invoice."))
        drafts = [
            CreditNoteLine(
                invoice_line=lines[pk],
                description=lines[pk].description,
                net=net,
                vat_rate=lines[pk].vat_rate,
                vat=money(net * lines[pk].vat_rate / 100),
            )
            for pk, net in wanted.items()
        ]
        subtotal = sum((d.net for d in drafts), ZERO)
        tax = sum((d.vat for d in drafts), ZERO)
        full = all(open_lines[pk] == net for pk, net in wanted.items()) and len(wanted) == len(
            [left for left in open_lines.values() if left > 0]
        )
        note = CreditNote.objects.create(
            invoice=locked,
            issuer=locked.issuer,
            customer_id=locked.customer_id,
            number=next_number(locked.issuer, DocumentKind.CREDIT_NOTE, today),
            reason=reason[:300],
            full=full,
            currency=locked.currency,
            subtotal=subtotal,
            tax=tax,
            total=subtotal + tax,
            issued_on=today,
            actor=recorded_user(actor),
        )
        for draft in drafts:
            draft.credit_note = note
        CreditNoteLine.objects.bulk_create(drafts)
        locked.credited += note.total
        locked.status = settle(locked, today)
        if locked.status == InvoiceStatus.PAID and locked.credited >= locked.total:
            locked.status = InvoiceStatus.CREDITED
        locked.save(update_fields=["credited", "status"])
        data = render_pdf(
            "billing/pdf/credit_note.html",
            {"note": note, "invoice": locked, "lines": drafts},
            issuer=locked.issuer,
        )
        store_pdf(note, f"{note.number}.pdf", data)
    return note
