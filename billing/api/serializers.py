"""Billing documents over HTTP, read-only: invoices (with their lines), payments and billing
accounts, as the customer's Invoices and Account tabs show them."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from billing.models import BillingAccount, Invoice, InvoiceLine, Payment


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = [
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
