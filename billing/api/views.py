"""Read-only billing endpoints. Every read goes through ``restrict(user, "view")``, as the
billing pages do: a document of a customer outside the caller's subtree is a 404. Drafts are
not shown: the API lists what was issued to the customer (the Invoices tab shows drafts to
the issuer's admins only, to work on them there)."""

from __future__ import annotations

import django_filters
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.views import APIView

from billing.api.serializers import (
    BillingAccountSerializer,
    InvoiceDetailSerializer,
    InvoiceSerializer,
    PaymentSerializer,
)
from billing.models import BillingAccount, Invoice, InvoiceStatus, Payment
from core.api.pagination import ByIdCursor


def _invoices(user):
    return Invoice.objects.restrict(user, "view").exclude(status=InvoiceStatus.DRAFT)


class InvoiceFilter(django_filters.FilterSet):
    class Meta:
        model = Invoice
        fields = ["status", "customer"]


class InvoiceList(generics.ListAPIView):
    """Issued invoices you may see, newest last by id; filter by status and customer."""

    serializer_class = InvoiceSerializer
    pagination_class = ByIdCursor
    filterset_class = InvoiceFilter

    def get_queryset(self):
        return _invoices(self.request.user)


class InvoiceDetail(generics.RetrieveAPIView):
    """One issued invoice with its lines."""

    serializer_class = InvoiceDetailSerializer

    def get_queryset(self):
        return _invoices(self.request.user).prefetch_related("lines")


class InvoicePdf(APIView):
    """The issued invoice's PDF, as the Invoices tab's download."""

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        invoice = generics.get_object_or_404(_invoices(request.user), pk=pk)
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
        return Payment.objects.restrict(self.request.user, "view")


class BillingAccountList(generics.ListAPIView):
    """The billing accounts you may see: mode, currency and balance."""

    serializer_class = BillingAccountSerializer
    pagination_class = ByIdCursor
    filterset_fields = ["organisation", "billing_mode"]

    def get_queryset(self):
        return BillingAccount.objects.restrict(self.request.user, "view")


class BillingAccountDetail(generics.RetrieveAPIView):
    serializer_class = BillingAccountSerializer

    def get_queryset(self):
        return BillingAccount.objects.restrict(self.request.user, "view")
