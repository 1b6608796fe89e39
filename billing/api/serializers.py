"""Billing documents over HTTP: invoices (with their lines), credit notes, payments (with
their allocation to invoices) and billing accounts, as the customer's Invoices and Account
tabs show them; and what a client sends to record a payment or credit an invoice."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from billing.actions.payments import MAX_AMOUNT
from billing.models import (
    BillingAccount,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    PaymentMethod,
)


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "position",
            "kind",
            "description",
            "quantity",
            "unit_price",
            "net",
            "vat_rate",
            "vat",
        ]


class InvoiceSerializer(serializers.ModelSerializer):
    pdf_url = serializers.SerializerMethodField(
        help_text="The issued invoice's PDF; null while it has none."
    )

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "status",
            "customer",
            "issuer",
            "period_start",
            "period_end",
            "currency",
            "tax_treatment",
            "subtotal",
            "tax",
            "total",
            "paid",
            "credited",
            "issued_on",
            "due_on",
            "pdf_url",
        ]

    def get_pdf_url(self, invoice: Invoice) -> str | None:
        if not invoice.pdf:
            return None
        path = reverse("api:invoice-pdf", args=[invoice.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)

    class Meta(InvoiceSerializer.Meta):
        fields = [*InvoiceSerializer.Meta.fields, "tax_note", "lines"]


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = [
            "id",
            "customer",
            "issuer",
            "amount",
            "currency",
            "received_on",
            "method",
            "reference",
        ]


class BillingAccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = BillingAccount
        fields = [
            "id",
            "organisation",
            "billing_mode",
            "currency",
            "balance",
            "credit_customer",
            "unit_warn_level",
            "cutoff_balance",
            "payment_terms_days",
            "licence_expiry_date",
        ]


class PaymentAllocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentAllocation
        fields = ["invoice", "amount"]


class PaymentDetailSerializer(PaymentSerializer):
    allocations = PaymentAllocationSerializer(
        many=True, read_only=True, help_text="How much went to which invoice; the rest is credit."
    )

    class Meta(PaymentSerializer.Meta):
        fields = [*PaymentSerializer.Meta.fields, "allocations"]


CENT = Decimal("0.01")


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=CENT, max_value=MAX_AMOUNT, **kwargs
    )


class PaymentCreateSerializer(serializers.Serializer):
    """A payment received, as the Invoices tab's Record payment form takes it."""

    customer = serializers.IntegerField(help_text="The customer who paid.")
    amount = _money()
    received_on = serializers.DateField(help_text="Not in the future.")
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    invoice = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="An open invoice of the customer to pay first; the rest goes to the oldest "
        "open invoices, and what is left stays a credit.",
    )


class CreditNoteLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditNoteLine
        fields = ["invoice_line", "description", "net", "vat_rate", "vat"]


class CreditNoteSerializer(serializers.ModelSerializer):
    lines = CreditNoteLineSerializer(many=True, read_only=True)

    class Meta:
        model = CreditNote
        fields = [
            "id",
            "number",
            "invoice",
            "customer",
            "issuer",
            "reason",
            "full",
            "currency",
            "subtotal",
            "tax",
            "total",
            "issued_on",
            "lines",
        ]


class CreditAmountSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The id of one of the invoice's lines.")
    amount = _money(help_text="The net amount to credit on it.")


class CreditNoteCreateSerializer(serializers.Serializer):
    """A credit note, as the invoice page's Credit form takes it: full, or per line."""

    reason = serializers.CharField(max_length=300)
    lines = CreditAmountSerializer(
        many=True,
        required=False,
        help_text="Omit for a full credit (everything not credited yet); otherwise the net "
        "amount to credit on each line named.",
    )

    def validate_lines(self, value):
        ids = [entry["line"] for entry in value]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError(_("Name each line once."))
        return value
