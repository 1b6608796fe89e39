"""Payments received (recorded by hand), their allocation to invoices, the invoices' payment
states, and the overdue reminder.

An invoice's status follows what was paid and credited against it: issued -> partly paid ->
paid; overdue once its due date has passed unpaid (a reminder e-mail goes out once);
credited when credit notes cover it. ``settle`` is the one place that writes it after issue.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.actions.issuing import require_issuer_admin
from billing.actions.warnings import recipients
from billing.models import (
    OPEN_STATUSES,
    BillingAccount,
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    money,
)
from core.actors import recorded_user
from core.mail import queue_email
from customers import notifications
from customers.actions import webhooks
from customers.models import Organisation, WebhookEvent

ZERO = Decimal("0")
MAX_AMOUNT = Decimal("999999999999.99")


def settle(invoice: Invoice, today: datetime.date | None = None) -> str:
    """The status ``invoice`` has after its payments and credit notes (not saved)."""
    today = today or timezone.localdate()
    if invoice.is_draft:
        return InvoiceStatus.DRAFT
    if invoice.credited > ZERO and invoice.credited >= invoice.total:
        return InvoiceStatus.CREDITED
    if invoice.due <= ZERO:
        return InvoiceStatus.PAID
    if invoice.due_on is not None and invoice.due_on < today:
        return InvoiceStatus.OVERDUE
    if invoice.paid > ZERO or invoice.credited > ZERO:
        return InvoiceStatus.PARTLY_PAID
    return InvoiceStatus.ISSUED


def as_amount(value: Any) -> Decimal:
    try:
        amount = money(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": _("Enter an amount.")}) from None
    if amount <= 0:
        raise ValidationError({"amount": _("Enter an amount above zero.")})
    if amount > MAX_AMOUNT:
        raise ValidationError({"amount": _("That amount is too large.")})
    return amount


def record_payment_received(
    *,
    actor: Any,
    customer: Organisation,
    amount: Any,
    received_on: datetime.date,
    method: str,
    reference: str = "",
    invoice: Invoice | None = None,
) -> Payment:
    """Record a payment from ``customer`` (its issuer's admins) and allocate it: to
    ``invoice`` first if given, then to the oldest open invoices; the rest stays a credit."""
    require_issuer_admin(actor, customer)
    amount = as_amount(amount)
    if method not in PaymentMethod.values:
        raise ValidationError({"method": _("Choose a payment method.")})
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("A payment cannot be received in the future.")})
    with transaction.atomic():
        open_invoices = list(
            Invoice.objects.select_for_update()
            .filter(customer=customer, status__in=OPEN_STATUSES)
            .order_by("issued_on", "pk")
        )
        if invoice is not None:
            if invoice.pk not in {i.pk for i in open_invoices}:
                raise ValidationError({"invoice": _("This invoice is not open.")})
            open_invoices.sort(key=lambda i: i.pk != invoice.pk)
        currency = open_invoices[0].currency if open_invoices else _currency(customer)
        payment = Payment.objects.create(
            issuer_id=customer.parent_id,
            customer=customer,
            amount=amount,
            currency=currency,
            received_on=received_on,
            method=method,
            reference=reference.strip()[:100],
            actor=recorded_user(actor),
        )
        left = amount
        allocations = []
        for open_invoice in open_invoices:
            if left <= 0:
                break
            share = min(left, open_invoice.due)
            if share <= 0:
                continue
            allocations.append(
                PaymentAllocation(payment=payment, invoice=open_invoice, amount=share)
            )
            open_invoice.paid += share
            open_invoice.status = settle(open_invoice)
            open_invoice.save(update_fields=["paid", "status"])
            left -= share
        PaymentAllocation.objects.bulk_create(allocations)
        webhooks.emit(
            WebhookEvent.PAYMENT_RECORDED,
            customer.pk,
            {
                "payment": payment.pk,
                "organisation": customer.pk,
                "amount": payment.amount,
                "currency": payment.currency,
                "received_on": payment.received_on,
                "method": payment.method,
                "reference": payment.reference,
                "allocations": [
                    {"invoice": share.invoice_id, "amount": share.amount} for share in allocations
                ],
            },
        )
    return payment


def _currency(customer: Organisation) -> str:
    account = BillingAccount.objects.filter(organisation=customer).first()
    return account.currency if account is not None else settings.BILLING_CURRENCY


def balance_due(customer: Organisation) -> Decimal:
    """Issued invoices less credit notes and payments: what the customer owes (negative: a
    credit)."""
    invoiced = sum(
        Invoice.objects.filter(customer=customer)
        .exclude(status=InvoiceStatus.DRAFT)
        .values_list("total", flat=True),
        ZERO,
    )
    credited = sum(
        CreditNote.objects.filter(customer=customer).values_list("total", flat=True), ZERO
    )
    paid = sum(Payment.objects.filter(customer=customer).values_list("amount", flat=True), ZERO)
    return invoiced - credited - paid


def mark_overdue(today: datetime.date, *, actor: Any) -> list[int]:
    """Open invoices past their due date become overdue; each gets one reminder e-mail (on
    commit, through Celery). Returns the ids reminded."""
    del actor  # the daily checks' own; nobody to check
    reminded: list[int] = []
    with transaction.atomic():
        late = Invoice.objects.select_for_update().filter(
            Q(status__in=(InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID))
            | Q(status=InvoiceStatus.OVERDUE, reminded_at__isnull=True),
            due_on__lt=today,
        )
        now = timezone.now()
        for invoice in late:
            invoice.status = InvoiceStatus.OVERDUE
            fields = ["status"]
            if invoice.reminded_at is None:
                invoice.reminded_at = now
                fields.append("reminded_at")
                reminded.append(invoice.pk)
            invoice.save(update_fields=fields)
        for pk in reminded:
            transaction.on_commit(partial(enqueue_reminder, pk))
    return reminded


def enqueue_reminder(invoice_id: int) -> None:
    """The reminder leaves through the worker (``billing.tasks.invoice_reminder``), by name:
    tasks import actions, never the other way round."""
    current_app.send_task("billing.invoice_reminder", args=[invoice_id])


def send_reminder(invoice_id: int) -> bool:
    """E-mail the reminder of an overdue invoice to the customer's billing contacts and
    admins: one message each, in the recipient's language (an admin's own choice, else the
    customer's Default language) and the issuer's theme (the sender's, issue 12), queued
    through ``core.mail`` so a refusing relay is tried again. The task calls it."""
    invoice = Invoice.objects.select_related("customer", "issuer").get(pk=invoice_id)
    customer = invoice.customer
    account = BillingAccount.objects.select_related("organisation").filter(organisation=customer)
    account = account.first()
    to = recipients(account) if account is not None else []
    if not to:
        return False
    people = {
        person.email: person
        for person in customer.users.filter(is_admin=True, is_active=True, email__in=to)
    }
    brand = notifications.branding(invoice.issuer)
    values = {
        "number": invoice.number,
        "name": customer.name,
        "due": invoice.due,
        "currency": invoice.currency,
        "due_on": invoice.due_on.isoformat() if invoice.due_on else "",
        "issuer": invoice.issuer_details.get("name", "") or brand["name"],
    }
    for address in to:
        language = notifications.language_of(people.get(address), customer)
        with translation.override(language):
            subject = _("Payment reminder: invoice %(number)s is overdue") % values
            message = (
                _(
                    "Dear %(name)s,\n\ninvoice %(number)s was due on %(due_on)s; %(due)s "
                    "%(currency)s are still open. Please pay at your earliest convenience."
                    "\n\n%(issuer)s"
                )
                % values
            )
            context = {"brand": brand, "subject": subject, "message": message}
            body = render_to_string("emails/invoice_reminder.txt", context)
            html = render_to_string("emails/invoice_reminder.html", context)
        queue_email(
            subject=subject,
            body=body,
            html=html,
            to=[address],
            reply_to=[brand["support_email"]] if brand["support_email"] else [],
            kind="invoice_reminder",
        )
    return True
