"""A customer's domains over HTTP (the Domains tab): list, add an alias, remove one, make one
primary, check its TXT record now, verify it by hand. The same actions as the tab; a
provisioned customer's change is applied to the directory by an update job
(``Link: <job>; rel="job"``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import ByIdCursor
from core.api.safe_writes import IF_MATCH, check_if_match, etag_for, idempotent, with_etag
from core.views import require, visible_or_404
from customers.actions.domains import add_alias, make_primary, remove_alias
from customers.actions.organisations import apply_organisation_edit
from customers.actions.verification import check_domain, may_verify_by_hand, verify_by_hand
from customers.api.views.organisations import _job_link
from customers.models import Domain, Organisation


class DomainSerializer(serializers.ModelSerializer):
    is_verified = serializers.BooleanField(read_only=True)
    txt_record = serializers.CharField(
        read_only=True, help_text="Publish this TXT record at the domain to verify it."
    )

    class Meta:
        model = Domain
        fields = [
            "id",
            "organisation",
            "name",
            "is_primary",
            "is_verified",
            "verified_at",
            "verification_method",
            "txt_record",
            "last_checked_at",
            "last_check_result",
            "created",
        ]
        read_only_fields = fields


class DomainAddSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=253)


def _organisation(request, pk: int) -> Organisation:
    return visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)


def _domain(request, pk: int, domain_pk: int, *, lock: bool = False) -> Domain:
    organisation = _organisation(request, pk)
    domains = Domain.objects.filter(organisation=organisation).select_related("organisation")
    if lock:
        domains = domains.select_for_update(of=("self",))
    return visible_or_404(request, domains, pk=domain_pk)


def _changing(request, pk: int, domain_pk: int, *, lock: bool = False) -> Domain:
    """A domain of a customer the caller may change (else 403), as on the Domains tab."""
    domain = _domain(request, pk, domain_pk, lock=lock)
    require(request.user, "change_organisation", domain.organisation)
    return domain


class DomainList(generics.ListAPIView):
    """A customer's domains; POST adds an alias (the first domain becomes primary)."""

    serializer_class = DomainSerializer
    pagination_class = ByIdCursor

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Domain.objects.none()
        return Domain.objects.filter(organisation=_organisation(self.request, self.kwargs["pk"]))

    @extend_schema(request=DomainAddSerializer, responses={201: DomainSerializer})
    @idempotent
    @transaction.atomic
    def post(self, request, pk: int):
        organisation = _organisation(request, pk)
        require(request.user, "change_organisation", organisation)
        incoming = DomainAddSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        domain = add_alias(
            actor=request.user, organisation=organisation, name=incoming.validated_data["name"]
        )
        job = apply_organisation_edit(actor=request.user, organisation=organisation)
        headers = {
            "Location": reverse("api:domain-detail", args=[pk, domain.pk]),
            **_job_link(request, [job]),
        }
        return Response(
            DomainSerializer(domain).data, status=status.HTTP_201_CREATED, headers=headers
        )


class DomainDetail(APIView):
    @extend_schema(responses=DomainSerializer)
    def get(self, request, pk: int, domain_pk: int):
        return with_etag(Response(DomainSerializer(_domain(request, pk, domain_pk)).data))

    @extend_schema(request=None, responses={204: None}, parameters=[IF_MATCH])
    @transaction.atomic
    def delete(self, request, pk: int, domain_pk: int):
        """Remove an alias (not the primary domain, nor one users sign in with)."""
        domain = _changing(request, pk, domain_pk, lock=True)
        check_if_match(request, etag_for(DomainSerializer(domain).data))
        remove_alias(actor=request.user, domain=domain)
        job = apply_organisation_edit(actor=request.user, organisation=domain.organisation)
        return Response(status=status.HTTP_204_NO_CONTENT, headers=_job_link(request, [job]))


class DomainMakePrimary(APIView):
    @extend_schema(request=None, responses=DomainSerializer)
    @idempotent
    @transaction.atomic
    def post(self, request, pk: int, domain_pk: int):
        domain = _changing(request, pk, domain_pk)
        domain = make_primary(actor=request.user, domain=domain)
        job = apply_organisation_edit(actor=request.user, organisation=domain.organisation)
        return Response(DomainSerializer(domain).data, headers=_job_link(request, [job]))


class DomainCheck(APIView):
    @extend_schema(request=None, responses=DomainSerializer)
    @idempotent
    def post(self, request, pk: int, domain_pk: int):
        """Check now: look for the domain's TXT record at once (the schedule also does).
        ``is_verified`` says whether it was found; ``last_check_result`` what was found."""
        domain = _changing(request, pk, domain_pk)
        check_domain(actor=request.user, domain=domain)
        return Response(DomainSerializer(domain).data)


class DomainVerify(APIView):
    @extend_schema(request=None, responses=DomainSerializer)
    @idempotent
    def post(self, request, pk: int, domain_pk: int):
        """Verify by hand, without DNS: the provider's administrators only."""
        domain = _domain(request, pk, domain_pk)
        if not may_verify_by_hand(request.user, domain):
            raise PermissionDenied
        return Response(DomainSerializer(verify_by_hand(actor=request.user, domain=domain)).data)
