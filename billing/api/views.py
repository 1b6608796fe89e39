"""Billing endpoints. Every read and every refusal follows ``billing.visibility``, the rule the
billing pages follow too: a document of a customer out of sight is a 404, one whose billing
the caller may not read (help desk) a 403, a draft a 404 to anyone but the admins who manage
the customer's billing (they see and issue drafts, as on the Invoices tab)."""

from __future__ import annotations

import django_filters
from django.db import transaction
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import visibility
from billing.actions.credit_notes import create_credit_note
from billing.actions.issuing import issue_invoice
from billing.actions.payments import record_payment_received
from billing.api.serializers import (
    BillingAccountSerializer,
    CreditNoteCreateSerializer,
    CreditNoteSerializer,
    InvoiceDetailSerializer,
    InvoiceSerializer,
    PaymentCreateSerializer,
    PaymentDetailSerializer,
    PaymentSerializer,
)
from billing.models import BillingAccount, CreditNote, Invoice, Payment
from core.api.pagination import ByIdCursor
from core.api.safe_writes import IF_MATCH, check_if_match, etag_for, idempotent, with_etag


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
    """Payments received from the customers you may see; POST records one."""

    serializer_class = PaymentSerializer
    pagination_class = ByIdCursor
    filterset_fields = ["customer"]

    def get_queryset(self):
        return visibility.payments(self.request.user)

    @extend_schema(request=PaymentCreateSerializer, responses={201: PaymentDetailSerializer})
    @idempotent
    @transaction.atomic
    def post(self, request):
        """Record a payment received, as the Invoices tab does (the admins above the
        customer): it pays ``invoice`` first if named, then the oldest open invoices; what is
        left stays a credit. The answer says where it went (``allocations``)."""
        incoming = PaymentCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        customer = visibility.billing_customer(request.user, data.pop("customer"))
        visibility.require_managing(request.user, customer)
        invoice_id = data.pop("invoice", None)
        invoice = None
        if invoice_id is not None:
            invoice = Invoice.objects.filter(customer=customer, pk=invoice_id).first()
            if invoice is None:
                raise ValidationError({"invoice": [_("This invoice is not open.")]})
        payment = record_payment_received(
            actor=request.user, customer=customer, invoice=invoice, **data
        )
        payment = Payment.objects.prefetch_related("allocations").get(pk=payment.pk)
        return Response(PaymentDetailSerializer(payment).data, status=status.HTTP_201_CREATED)


CHANGED = {
    412: OpenApiResponse(
        response=OpenApiTypes.OBJECT,
        description="Changed since you read it (If-Match did not match the invoice's ETag).",
    )
}


def _managed_invoice(request, pk: int) -> Invoice:
    """The invoice to act on, locked: by the billing rule (404, 403, a draft 404), then
    managed by the caller (403), then as the caller last read it (``If-Match``, 412)."""
    invoice = visibility.invoice_for(request.user, pk, lock=True)
    visibility.require_managing(request.user, invoice.customer)
    check_if_match(request, etag_for(represent(request, invoice)))
    return invoice


class InvoiceIssue(APIView):
    @extend_schema(
        request=None, responses={200: InvoiceDetailSerializer, **CHANGED}, parameters=[IF_MATCH]
    )
    @idempotent
    @transaction.atomic
    def post(self, request, pk: int):
        """Issue a draft, as its page's Issue button: it gets the issuer's next number, its
        dates and its PDF, and never changes again. With ``If-Match`` (the draft's ETag), only
        the draft you read: a period run again since is a 412."""
        invoice = _managed_invoice(request, pk)
        issued = issue_invoice(actor=request.user, invoice=invoice)
        return with_etag(Response(represent(request, issued)))


class InvoiceCreditNotes(APIView):
    @extend_schema(
        request=CreditNoteCreateSerializer,
        responses={201: CreditNoteSerializer, **CHANGED},
        parameters=[IF_MATCH],
    )
    @idempotent
    @transaction.atomic
    def post(self, request, pk: int):
        """Credit an issued invoice, as its page's Credit form: in full (no ``lines``) or a
        net amount per line, with a reason; numbered from the issuer's credit note
        sequence. With ``If-Match``, only if the invoice is as you read it."""
        invoice = _managed_invoice(request, pk)
        incoming = CreditNoteCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        lines = incoming.validated_data.get("lines")
        note = create_credit_note(
            actor=request.user,
            invoice=invoice,
            reason=incoming.validated_data["reason"],
            amounts=None if lines is None else {e["line"]: e["amount"] for e in lines},
        )
        note = CreditNote.objects.prefetch_related("lines").get(pk=note.pk)
        return Response(
            CreditNoteSerializer(note).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("api:credit-note-detail", args=[note.pk])},
        )


class CreditNoteList(generics.ListAPIView):
    """Credit notes of the customers whose billing you may see; filter by customer and
    invoice."""

    serializer_class = CreditNoteSerializer
    pagination_class = ByIdCursor
    filterset_fields = ["customer", "invoice"]

    def get_queryset(self):
        return visibility.credit_notes(self.request.user).prefetch_related("lines")


class CreditNoteDetail(APIView):
    @extend_schema(responses=CreditNoteSerializer)
    def get(self, request, pk: int):
        note = visibility.document_for(
            request.user, CreditNote.objects.prefetch_related("lines"), pk
        )
        return Response(CreditNoteSerializer(note).data)


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
        account = visibility.document_for(request.user, BillingAccount.objects.all(), pk)
        return Response(BillingAccountSerializer(account).data)


def represent(request, invoice: Invoice) -> dict:
    return InvoiceDetailSerializer(invoice, context={"request": request}).data
