"""Postpaid billing: VAT rates, invoices and their lines, credit notes, the gapless number
sequences, and payments with their allocations.

Money is a ``Decimal`` (two places) beside an ISO 4217 currency code on the document: one
issuer bills in one currency, so a money type would add nothing the ledger does not already
do with plain decimals. Each line is rounded half-up on its own; a document's totals are the
sums of its lines.

Issued documents are legal records: ``save`` refuses to change what was issued, PostgreSQL
refuses it too (migration 0009's triggers), and an organisation with documents cannot be
purged (``on_delete=PROTECT``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing.models.account import UNITS, ZERO
from core.scoping import ScopedManager

CENT = Decimal("0.01")
QUANTITY = {"max_digits": 14, "decimal_places": 4}
RATE = {"max_digits": 5, "decimal_places": 2}


def money(value: Decimal) -> Decimal:
    """Half-up to the cent: how every line amount is rounded."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class Immutable(Exception):
    """An issued document was about to change."""


class VatRate(models.Model):
    """The VAT rate of a country from a date on (the provider keeps the table): the rate of a
    day is the newest row whose ``valid_from`` is not after it."""

    country = models.CharField(_("Country"), max_length=2, help_text=_("Two-letter ISO code."))
    rate = models.DecimalField(
        _("Rate (%)"),
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
        **RATE,
    )
    valid_from = models.DateField(_("Valid from"))

    class Meta:
        ordering = ["country", "-valid_from"]
        verbose_name = _("VAT rate")
        constraints = [
            models.UniqueConstraint(fields=["country", "valid_from"], name="one_vat_rate_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.rate}% from {self.valid_from}"

    def save(self, *args, **kwargs):
        self.country = self.country.upper()
        super().save(*args, **kwargs)


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class DocumentSequence(models.Model):
    """The next number of an issuer's invoices (or credit notes) in a year. Taken under the
    row's lock by ``billing.actions.numbering``, in the transaction that issues: a rolled-back
    issue gives its number back, so the numbers have no gap."""

    issuer = models.ForeignKey("customers.Organisation", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField()
    next_number = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "kind", "year"], name="one_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.issuer_id} {self.kind} {self.year}: {self.next_number}"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")
    CREDITED = "credited", _("Credited")


OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID, InvoiceStatus.OVERDUE)


class TaxTreatment(models.TextChoices):
    DOMESTIC = "domestic", _("Domestic")
    REVERSE_CHARGE = "reverse_charge", _("Reverse charge")
    ONE_STOP_SHOP = "oss", _("EU One-Stop Shop")
    OUTSIDE_SCOPE = "outside_scope", _("Outside the scope of VAT")
    EXEMPT = "exempt", _("Tax exempt")


# What an issued invoice may still change: its payment state, the reminder mark, and the
# PDF once (written in the transaction that issues it).
INVOICE_FROZEN = (
    "number",
    "issuer_id",
    "customer_id",
    "period_start",
    "period_end",
    "currency",
    "tax_treatment",
    "tax_note",
    "subtotal",
    "tax",
    "total",
    "issued_on",
    "due_on",
    "issuer_details",
    "customer_details",
)


class FrozenOnceIssued(models.Model):
    """Remembers the loaded values, so ``save`` can refuse a change to an issued document."""

    frozen_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.was_issued():
            changed = [
                name
                for name in self.frozen_fields
                if name in self._loaded and getattr(self, name) != self._loaded[name]
            ]
            if changed:
                raise Immutable(f"An issued document never changes ({', '.join(changed)}).")
        super().save(*args, **kwargs)
        self._loaded = {f.attname: getattr(self, f.attname) for f in self._meta.concrete_fields}

    def delete(self, *args, **kwargs):
        if self.was_issued():
            raise Immutable("An issued document is never deleted.")
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded = dict(zip(field_names, values, strict=False))
        return instance

    def was_issued(self) -> bool:
        loaded = getattr(self, "_loaded", None)
        return loaded is not None and loaded.get("status", "issued") != InvoiceStatus.DRAFT


class Invoice(FrozenOnceIssued):
    """What an issuer bills a postpaid customer for one period (a calendar month)."""

    frozen_fields = INVOICE_FROZEN

    issuer = models.ForeignKey(
        "customers.Organisation", on_delete=models.PROTECT, related_name="invoices_issued"
    )
    customer = models.ForeignKey(
        "customers.Organisation", on_delete=models.PROTECT, related_name="invoices"
    )
    period_start = models.DateField(_("Period from"))
    period_end = models.DateField(_("Period to"))
    number = models.CharField(_("Number"), max_length=40, blank=True)
    status = models.CharField(
        _("Status"), max_length=12, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    currency = models.CharField(_("Currency"), max_length=3)
    tax_treatment = models.CharField(
        _("Tax"), max_length=16, choices=TaxTreatment.choices, default=TaxTreatment.DOMESTIC
    )
    tax_note = models.CharField(_("Tax note"), max_length=300, blank=True)
    subtotal = models.DecimalField(_("Net"), default=ZERO, **UNITS)
    tax = models.DecimalField(_("VAT"), default=ZERO, **UNITS)
    total = models.DecimalField(_("Total"), default=ZERO, **UNITS)
    paid = models.DecimalField(_("Paid"), default=ZERO, **UNITS)
    credited = models.DecimalField(_("Credited"), default=ZERO, **UNITS)
    issued_on = models.DateField(_("Issued"), null=True, blank=True)
    due_on = models.DateField(_("Due"), null=True, blank=True)
    # Who issued it and to whom, as they were that day (the documents outlive renames).
    issuer_details = models.JSONField(default=dict, blank=True)
    customer_details = models.JSONField(default=dict, blank=True)
    pdf = models.FileField(upload_to="invoices/%Y/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_path = "customer__"
    scope_permissions = {"view": "view_billing", "change": "manage_billing"}

    class Meta:
        ordering = ["-period_start", "customer_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "period_start"], name="one_invoice_a_period"
            ),
            models.UniqueConstraint(
                fields=["number"], condition=~Q(number=""), name="invoice_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | ~Q(number=""), name="issued_invoice_has_number"
            ),
        ]
        indexes = [models.Index(fields=["issuer", "period_start"], name="invoice_issuer_period")]

    def __str__(self) -> str:
        return self.number or f"{_('Draft')} {self.customer_id} {self.period_start}"

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def due(self) -> Decimal:
        """What is still to pay: the total less payments and credit notes."""
        return self.total - self.paid - self.credited


class LineKind(models.TextChoices):
    SEATS = "seats", _("Seats")
    SETUP = "setup", _("Setup fee")
    UNITS = "units", _("Units")


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=8, choices=LineKind.choices)
    description = models.CharField(_("Description"), max_length=300)
    quantity = models.DecimalField(_("Quantity"), **QUANTITY)
    unit_price = models.DecimalField(_("Unit price"), **UNITS)
    net = models.DecimalField(_("Net"), **UNITS)
    vat_rate = models.DecimalField(_("VAT %"), **RATE)
    vat = models.DecimalField(_("VAT"), **UNITS)
    subscription = models.ForeignKey(
        "customers.CustomerService",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    purchase = models.ForeignKey(
        "billing.Purchase", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.description

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


class CreditNote(FrozenOnceIssued):
    """A correction of an issued invoice, full or partial, with its own number sequence.
    Issued when it is made: it is never a draft."""

    frozen_fields = (
        "number",
        "invoice_id",
        "reason",
        "full",
        "subtotal",
        "tax",
        "total",
        "issued_on",
    )

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    issuer = models.ForeignKey(
        "customers.Organisation", on_delete=models.PROTECT, related_name="credit_notes_issued"
    )
    customer = models.ForeignKey(
        "customers.Organisation", on_delete=models.PROTECT, related_name="credit_notes"
    )
    number = models.CharField(_("Number"), max_length=40, unique=True)
    status = models.CharField(max_length=12, default=InvoiceStatus.ISSUED, editable=False)
    reason = models.CharField(_("Reason"), max_length=300)
    full = models.BooleanField(_("Full credit"), default=False)
    currency = models.CharField(_("Currency"), max_length=3)
    subtotal = models.DecimalField(_("Net"), **UNITS)
    tax = models.DecimalField(_("VAT"), **UNITS)
    total = models.DecimalField(_("Total"), **UNITS)
    issued_on = models.DateField(_("Issued"))
    pdf = models.FileField(upload_to="credit-notes/%Y/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_path = "customer__"
    scope_permissions = {"view": "view_billing", "change": "manage_billing"}

    class Meta:
        ordering = ["-issued_on", "-pk"]

    def __str__(self) -> str:
        return self.number


class CreditNoteLine(models.Model):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, related_name="lines")
    invoice_line = models.ForeignKey(
        InvoiceLine, on_delete=models.PROTECT, null=True, blank=True, related_name="credits"
    )
    description = models.CharField(_("Description"), max_length=300)
    net = models.DecimalField(_("Net"), **UNITS)
    vat_rate = models.DecimalField(_("VAT %"), **RATE)
    vat = models.DecimalField(_("VAT"), **UNITS)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("Bank transfer")
    CARD = "card", _("Card")
    DIRECT_DEBIT = "direct_debit", _("Direct debit")
    CASH = "cash", _("Cash")
    OTHER = "other", _("Other")


class Payment(models.Model):
    """Money received from a customer, recorded by hand and allocated to its invoices; what
    is not allocated stays on the account as a credit."""

    issuer = models.ForeignKey(
        "customers.Organisation", on_delete=models.PROTECT, related_name="payments_received"
    )
    customer = models.ForeignKey(
        "customers.Organisation", on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(_("Amount"), validators=[MinValueValidator(CENT)], **UNITS)
    currency = models.CharField(_("Currency"), max_length=3)
    received_on = models.DateField(_("Date"))
    method = models.CharField(_("Method"), max_length=14, choices=PaymentMethod.choices)
    reference = models.CharField(_("Reference"), max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_path = "customer__"
    scope_permissions = {"view": "view_billing", "change": "manage_billing"}

    class Meta:
        ordering = ["-received_on", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.received_on}"


class PaymentAllocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(_("Amount"), **UNITS)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
            models.UniqueConstraint(fields=["payment", "invoice"], name="one_allocation"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} of {self.payment_id} to {self.invoice_id}"
