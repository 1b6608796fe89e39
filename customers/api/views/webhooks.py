"""Webhooks over HTTP: an organisation's admins register endpoints (the signing secret is in
the answer to the POST, and never again), change or remove them, read the deliveries with
each attempt, and send a delivery again."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import ByIdCursor, NewestFirstCursor
from core.api.safe_writes import IF_MATCH, check_if_match, etag_for, idempotent, with_etag
from core.views import require, visible_or_404
from customers.actions.webhooks import (
    create_webhook,
    delete_webhook,
    resend_delivery,
    update_webhook,
)
from customers.models import Organisation, Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), min_length=1
    )
    url = serializers.URLField(max_length=500, help_text="An https:// URL on a public address.")

    class Meta:
        model = Webhook
        fields = ["id", "organisation", "url", "events", "is_active", "created"]
        read_only_fields = ["id", "organisation", "created"]


class NewWebhookSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret: shown in this answer only. Keep it to check the "
        "X-Canopy-Signature header.",
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["at", "status_code", "error", "duration_ms"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    attempt_log = AttemptSerializer(source="attempt_rows", many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook",
            "event",
            "state",
            "attempts",
            "next_attempt_at",
            "created",
            "delivered_at",
            "payload",
            "attempt_log",
        ]
        read_only_fields = fields


def _organisation(request, pk: int) -> Organisation:
    organisation = visible_or_404(request, Organisation, pk=pk)
    require(request.user, "change_organisation", organisation)
    return organisation


class WebhookList(generics.ListAPIView):
    """The organisation's webhooks (its administrators); POST registers one."""

    serializer_class = WebhookSerializer
    pagination_class = ByIdCursor

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Webhook.objects.none()
        return Webhook.objects.filter(organisation=_organisation(self.request, self.kwargs["pk"]))

    @extend_schema(request=WebhookSerializer, responses={201: NewWebhookSerializer})
    @idempotent
    def post(self, request, pk: int):
        organisation = _organisation(request, pk)
        incoming = WebhookSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        webhook, secret = create_webhook(
            actor=request.user,
            organisation=organisation,
            url=incoming.validated_data["url"],
            events=incoming.validated_data["events"],
        )
        body = {**WebhookSerializer(webhook).data, "secret": secret}
        headers = {"Location": reverse("api:webhook-detail", args=[webhook.pk])}
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


def _webhook(request, pk: int, *, lock: bool = False) -> Webhook:
    hooks = Webhook.objects.select_related("organisation")
    if lock:
        hooks = hooks.select_for_update(of=("self",))
    return visible_or_404(request, hooks, pk=pk)


class WebhookDetail(APIView):
    @extend_schema(responses=WebhookSerializer)
    def get(self, request, pk: int):
        return with_etag(Response(WebhookSerializer(_webhook(request, pk)).data))

    @extend_schema(request=WebhookSerializer, responses=WebhookSerializer, parameters=[IF_MATCH])
    @transaction.atomic
    def patch(self, request, pk: int):
        webhook = _webhook(request, pk, lock=True)
        check_if_match(request, etag_for(WebhookSerializer(webhook).data))
        incoming = WebhookSerializer(webhook, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        webhook = update_webhook(
            actor=request.user, webhook=webhook, changes=dict(incoming.validated_data)
        )
        return with_etag(Response(WebhookSerializer(webhook).data))

    @extend_schema(request=None, responses={204: None}, parameters=[IF_MATCH])
    @transaction.atomic
    def delete(self, request, pk: int):
        webhook = _webhook(request, pk, lock=True)
        check_if_match(request, etag_for(WebhookSerializer(webhook).data))
        delete_webhook(actor=request.user, webhook=webhook)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryList(generics.ListAPIView):
    """The webhook's deliveries, newest first, each with its attempts."""

    serializer_class = DeliverySerializer
    pagination_class = NewestFirstCursor

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        webhook = _webhook(self.request, self.kwargs["pk"])
        return WebhookDelivery.objects.filter(webhook=webhook).prefetch_related(
            Prefetch("attempt_rows", queryset=WebhookAttempt.objects.order_by("pk"))
        )


class DeliveryResend(APIView):
    @extend_schema(request=None, responses={202: DeliverySerializer})
    @idempotent
    def post(self, request, pk: int):
        """Send it again (a new round of attempts), whatever became of it."""
        delivery = visible_or_404(
            request, WebhookDelivery.objects.select_related("webhook__organisation"), pk=pk
        )
        delivery = resend_delivery(actor=request.user, delivery=delivery)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
