"""Service accounts over HTTP: list and make them (a name and a role), and make an API key for
one (its plain text in the answer only). Disable, delete and reset go through /users/, as for
anyone; revoking a key is on the customer's Keys tab."""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import ByIdCursor
from core.api.safe_writes import idempotent
from core.views import visible_or_404
from customers.actions.api_keys import SCOPES, create_api_key
from customers.actions.service_accounts import create_service_account, may_manage_service_accounts
from customers.api.serializers import UserSerializer
from customers.models import ApiKey, Organisation, Role, User


class ServiceAccountCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="The program it is for.")
    role = serializers.IntegerField(help_text="A role you may grant on this organisation.")


class KeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    organisation = serializers.IntegerField(
        required=False, help_text="The subtree the key is limited to (default: the account's)."
    )
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=list(SCOPES)), min_length=1
    )
    expires_at = serializers.DateTimeField(help_text="At most a year from now.")


class NewKeySerializer(serializers.ModelSerializer):
    key = serializers.CharField(read_only=True, help_text="Shown in this answer only.")

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "organisation", "scopes", "expires_at", "key"]
        read_only_fields = fields


def _organisation(request, pk: int) -> Organisation:
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    if not may_manage_service_accounts(request.user, organisation):
        raise PermissionDenied
    return organisation


class ServiceAccountList(generics.ListAPIView):
    """The organisation's service accounts; POST makes one."""

    serializer_class = UserSerializer
    pagination_class = ByIdCursor

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        organisation = _organisation(self.request, self.kwargs["pk"])
        return User.objects.restrict(self.request.user, "view").filter(
            organisation=organisation, is_service_account=True
        )

    @extend_schema(request=ServiceAccountCreateSerializer, responses={201: UserSerializer})
    @idempotent
    def post(self, request, pk: int):
        organisation = _organisation(request, pk)
        incoming = ServiceAccountCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        role = Role.objects.filter(pk=incoming.validated_data["role"]).first()
        if role is None:
            raise serializers.ValidationError({"role": ["There is no such role."]})
        account = create_service_account(
            actor=request.user,
            organisation=organisation,
            name=incoming.validated_data["name"],
            role=role,
        )
        headers = {"Location": reverse("api:user-detail", args=[account.pk])}
        body = UserSerializer(account, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class ServiceAccountKeyCreate(APIView):
    @extend_schema(request=KeyCreateSerializer, responses={201: NewKeySerializer})
    @idempotent
    @transaction.atomic
    def post(self, request, pk: int):
        """A key owned by the service account, within what its role allows."""
        account = visible_or_404(
            request,
            User.objects.filter(is_service_account=True).select_related("organisation"),
            pk=pk,
        )
        if not may_manage_service_accounts(request.user, account.organisation):
            raise PermissionDenied
        incoming = KeyCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        limited_to = account.organisation
        if "organisation" in data:
            limited_to = get_object_or_404(
                Organisation.objects.restrict(request.user, "view"), pk=data["organisation"]
            )
        key, plain = create_api_key(
            actor=request.user,
            owner=account,
            name=data["name"],
            organisation=limited_to,
            scopes=data["scopes"],
            expires_at=data["expires_at"],
        )
        body = {**NewKeySerializer(key).data, "key": plain}
        return Response(body, status=status.HTTP_201_CREATED)
