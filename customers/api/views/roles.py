"""Roles and grants over HTTP (the Roles tab): the roles the caller may grant on a customer,
who holds which role there, grant and revoke, through ``customers.actions.roles``."""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import ByIdCursor
from core.api.safe_writes import idempotent
from core.views import require, visible_or_404
from customers.actions.roles import grant_role, grantable_roles, revoke_role
from customers.models import Organisation, Role, RoleGrant, User


class RoleSerializer(serializers.ModelSerializer):
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = Role
        fields = ["id", "name", "description", "is_admin_role", "service", "permissions"]
        read_only_fields = fields

    def get_permissions(self, role: Role) -> list[str]:
        return sorted(role.codenames())


class GrantSerializer(serializers.ModelSerializer):
    role_name = serializers.CharField(source="role.name", read_only=True)
    user_upn = serializers.CharField(source="user.upn", read_only=True)

    class Meta:
        model = RoleGrant
        fields = ["id", "organisation", "user", "user_upn", "role", "role_name", "created"]
        read_only_fields = fields


class GrantCreateSerializer(serializers.Serializer):
    user = serializers.IntegerField(help_text="An active user of this organisation.")
    role = serializers.IntegerField(help_text="One of the roles you may grant here.")


def _organisation(request, pk: int) -> Organisation:
    """As the Roles tab: seeing its grants needs sight of its users."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    require(request.user, "view_users", organisation)
    return organisation


class GrantableRoleList(APIView):
    @extend_schema(responses=RoleSerializer(many=True))
    def get(self, request, pk: int):
        """The roles you may grant on this organisation (what the Grant form offers)."""
        organisation = _organisation(request, pk)
        roles = grantable_roles(request.user, organisation)
        return Response(RoleSerializer(roles, many=True).data)


class GrantList(generics.ListAPIView):
    """Who holds which role on this organisation; POST grants one."""

    serializer_class = GrantSerializer
    pagination_class = ByIdCursor

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RoleGrant.objects.none()
        organisation = _organisation(self.request, self.kwargs["pk"])
        return (
            RoleGrant.objects.restrict(self.request.user, "view")
            .filter(organisation=organisation)
            .select_related("role", "user")
        )

    @extend_schema(request=GrantCreateSerializer, responses={201: GrantSerializer})
    @idempotent
    @transaction.atomic
    def post(self, request, pk: int):
        organisation = _organisation(request, pk)
        require(request.user, "grant_roles", organisation)
        incoming = GrantCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        # The Grant form's choices: an active user of this organisation the caller can see.
        person = get_object_or_404(
            User.objects.restrict(request.user, "view").filter(
                organisation=organisation, is_active=True
            ),
            pk=data["user"],
        )
        role = Role.objects.filter(pk=data["role"]).first()
        if role is None:
            raise serializers.ValidationError({"role": ["There is no such role."]})
        grant = grant_role(actor=request.user, user=person, organisation=organisation, role=role)
        headers = {"Location": reverse("api:grant-detail", args=[pk, grant.pk])}
        body = GrantSerializer(grant).data
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class GrantDetail(APIView):
    @staticmethod
    def grant(request, pk: int, grant_pk: int) -> RoleGrant:
        organisation = _organisation(request, pk)
        grants = RoleGrant.objects.filter(organisation=organisation).select_related(
            "user", "role", "organisation"
        )
        return visible_or_404(request, grants, pk=grant_pk)

    @extend_schema(responses=GrantSerializer)
    def get(self, request, pk: int, grant_pk: int):
        return Response(GrantSerializer(self.grant(request, pk, grant_pk)).data)

    @extend_schema(request=None, responses={204: None})
    @transaction.atomic
    def delete(self, request, pk: int, grant_pk: int):
        """Revoke: nobody takes away power they do not hold themselves."""
        grant = self.grant(request, pk, grant_pk)
        revoke_role(actor=request.user, grant=grant)
        return Response(status=status.HTTP_204_NO_CONTENT)
