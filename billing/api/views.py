"""Billing endpoints. Every read and every refusal follows ``billing.visibility``, the rule the
billing pages follow too: a document of a customer out of sight is a 404, one whose billing
the caller may not read (help desk) a 403, a draft a 404 to anyone but the admins who manage
the customer's billing (they see and issue drafts, as on the Invoices tab)."""

from __future__ import annotations

import django_filters
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import visibility
from billing.api.serializers import (
    BillingAccountSerializer,
    InvoiceDetailSerializer,
    InvoiceSerializer,
    PaymentSerializer,
)
from billing.models import BillingAccount, Invoice
from core.api.pagination import ByIdCursor
from core.api.safe_writes import with_etag


class InvoiceFilter(django_filters.FilterSet):
    class Meta:
        model = Invoice
        fields = ["status", "customer"]


class InvoiceList(generics.ListAPIView):
    """Invoices you may see, newest last by id (drafts only if you manage the customer's
    billing); filter by status and customer."""

    serializer_class = InvoiceSerializer
    pagination_class = ByIdCursor
    filterset_class = InvoiceFilter

    def get_queryset(self):
        return visibility.invoices(self.request.user)


class InvoiceDetail(APIView):
    @extend_schema(responses=InvoiceDetailSerializer)
    def get(self, request, pk: int):
        """One invoice with its lines; its ``ETag`` guards issuing and crediting it."""
        invoice = visibility.invoice_for(request.user, pk)
        return with_etag(Response(represent(request, invoice)))


class InvoicePdf(APIView):
    """The issued invoice's PDF, as the Invoices tab's download."""

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        invoice = visibility.invoice_for(request.user, pk)
        if not invoice.pdf:
            raise Http404
        try:
            handle = invoice.pdf.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"{invoice.number}.pdf",
            content_type="application/pdf",
        )


class PaymentList(generics.ListAPIView):
    """Payments received from the customers you may see."""

    serializer_class = PaymentSerializer
    pagination_class = ByIdCursor
    filterset_fields = ["customer"]

    def get_queryset(self):
        return visibility.payments(self.request.user)


class BillingAccountList(generics.ListAPIView):
    """The billing accounts you may see: mode, currency and balance."""

    serializer_class = BillingAccountSerializer
    pagination_class = ByIdCursor
    filterset_fields = ["organisation", "billing_mode"]

    def get_queryset(self):
        return visibility.accounts(self.request.user)


class BillingAccountDetail(APIView):
    @extend_schema(responses=BillingAccountSerializer)
    def get(self, request, pk: int):
        account = visibility.document_for(
            request.user, BillingAccount.objects.select_related("organisation"), pk
        )
        return Response(BillingAccountSerializer(account).data)


def represent(request, invoice: Invoice) -> dict:
    return InvoiceDetailSerializer(invoice, context={"request": request}).data
