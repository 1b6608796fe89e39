"""The service catalogue, a customer's subscriptions and its users' assignments over HTTP.

- Services and plans: the provider's administrators only (``manage_catalogue``), as the
  catalogue pages; validated by the pages' own forms.
- Subscriptions: whoever manages services one level up gives, changes and takes them; the
  plans offered are ``offered_plans`` (the reseller passes on only what it holds).
- Assignments: whoever may assign services on the customer gives and takes them.
"""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms.models import model_to_dict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import valid_form
from core.api.pagination import ByIdCursor
from core.api.safe_writes import IF_MATCH, check_if_match, etag_for, idempotent, with_etag
from core.api.serializers import ACCEPTED, accepted
from core.scoping import has_permission
from core.views import visible_or_404
from customers.actions import assignments, catalogue
from customers.actions.limits import annotate_usage, subscription_usage
from customers.api.views.organisations import _job_link
from customers.forms.catalogue import ChangePlanForm, PlanForm, ProvisionForm, ServiceForm
from customers.models import CustomerService, Organisation, Plan, Service, User, UserService

# --- The catalogue --------------------------------------------------------------------------


class ServiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "code", "name", "description", "service_type", "settings", "is_active"]
        read_only_fields = ["id"]
        # Uniqueness and the type's choices are the form's to check, with the page's words.
        extra_kwargs = {"code": {"validators": []}, "name": {"validators": []}}


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = [
            "id",
            "service",
            "name",
            "settings",
            "user_limit",
            "price_per_user_month",
            "setup_fee",
            "unit_rate",
        ]
        read_only_fields = ["id", "service", "unit_rate"]


def _catalogue_user(request) -> None:
    if not catalogue.may_manage_catalogue(request.user):
        raise PermissionDenied


def _form_data(form_class, instance, incoming: dict) -> dict:
    """The form's data: what the object holds (a new one, its defaults), overlaid with what
    was sent, so a PATCH may send only what changes."""
    fields = form_class._meta.fields
    data = model_to_dict(instance, fields=fields)
    data.update({key: value for key, value in incoming.items() if key in fields})
    if not isinstance(data.get("settings", ""), str):
        # A JSON field travels through the form as text.
        data["settings"] = json.dumps(data["settings"])
    return data


class ServiceList(generics.ListAPIView):
    """The service catalogue (provider administrators); POST adds a service."""

    serializer_class = ServiceSerializer
    pagination_class = ByIdCursor

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Service.objects.none()
        _catalogue_user(self.request)
        return Service.objects.all()

    @extend_schema(request=ServiceSerializer, responses={201: ServiceSerializer})
    @idempotent
    def post(self, request):
        _catalogue_user(request)
        form = valid_form(ServiceForm(_form_data(ServiceForm, Service(), request.data)))
        service = catalogue.save_service(actor=request.user, service=form.instance)
        headers = {"Location": reverse("api:service-detail", args=[service.pk])}
        return Response(
            ServiceSerializer(service).data, status=status.HTTP_201_CREATED, headers=headers
        )


class ServiceDetail(APIView):
    @extend_schema(responses=ServiceSerializer)
    def get(self, request, pk: int):
        _catalogue_user(request)
        service = get_object_or_404(Service, pk=pk)
        return with_etag(Response(ServiceSerializer(service).data))

    @extend_schema(request=ServiceSerializer, responses=ServiceSerializer, parameters=[IF_MATCH])
    @transaction.atomic
    def patch(self, request, pk: int):
        _catalogue_user(request)
        service = get_object_or_404(Service.objects.select_for_update(), pk=pk)
        check_if_match(request, etag_for(ServiceSerializer(service).data))
        form = valid_form(
            ServiceForm(_form_data(ServiceForm, service, request.data), instance=service)
        )
        service = catalogue.save_service(actor=request.user, service=form.instance)
        return with_etag(Response(ServiceSerializer(service).data))


class PlanList(generics.ListAPIView):
    """A service's plans (provider administrators); POST adds a plan."""

    serializer_class = PlanSerializer
    pagination_class = ByIdCursor

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Plan.objects.none()
        _catalogue_user(self.request)
        service = get_object_or_404(Service, pk=self.kwargs["pk"])
        return Plan.objects.filter(service=service).select_related("service")

    @extend_schema(request=PlanSerializer, responses={201: PlanSerializer})
    @idempotent
    def post(self, request, pk: int):
        _catalogue_user(request)
        service = get_object_or_404(Service, pk=pk)
        plan = Plan(service=service)
        form = PlanForm(_form_data(PlanForm, plan, request.data), instance=plan)
        plan = catalogue.save_plan(actor=request.user, plan=valid_form(form).instance)
        headers = {"Location": reverse("api:plan-detail", args=[plan.pk])}
        return Response(PlanSerializer(plan).data, status=status.HTTP_201_CREATED, headers=headers)


class PlanDetail(APIView):
    @extend_schema(responses=PlanSerializer)
    def get(self, request, pk: int):
        _catalogue_user(request)
        plan = get_object_or_404(Plan.objects.select_related("service"), pk=pk)
        return with_etag(Response(PlanSerializer(plan).data))

    @extend_schema(request=PlanSerializer, responses=PlanSerializer, parameters=[IF_MATCH])
    @transaction.atomic
    def patch(self, request, pk: int):
        _catalogue_user(request)
        plan = get_object_or_404(Plan.objects.select_for_update().select_related("service"), pk=pk)
        check_if_match(request, etag_for(PlanSerializer(plan).data))
        form = valid_form(PlanForm(_form_data(PlanForm, plan, request.data), instance=plan))
        plan = catalogue.save_plan(actor=request.user, plan=form.instance)
        return with_etag(Response(PlanSerializer(plan).data))


# --- A customer's subscriptions ---------------------------------------------------------------


class SubscriptionSerializer(serializers.ModelSerializer):
    service_name = serializers.CharField(source="service.name", read_only=True)
    plan_name = serializers.CharField(source="plan.name", read_only=True)
    seats_used = serializers.SerializerMethodField()

    class Meta:
        model = CustomerService
        fields = [
            "id",
            "organisation",
            "service",
            "service_name",
            "plan",
            "plan_name",
            "user_limit",
            "seats_used",
            "status",
            "created",
        ]
        read_only_fields = fields

    def get_seats_used(self, subscription: CustomerService) -> int:
        """Seats given to users, and for a reseller also handed on to its customers."""
        if hasattr(subscription, "seats_assigned"):
            return subscription.seats_assigned + subscription.seats_handed_out
        return subscription_usage(subscription).used


class SubscriptionCreateSerializer(serializers.Serializer):
    plan = serializers.IntegerField(help_text="One of the plans offered to this customer.")
    user_limit = serializers.IntegerField(
        min_value=0, required=False, allow_null=True, help_text="Seats; empty for no limit."
    )


class SubscriptionChangeSerializer(SubscriptionCreateSerializer):
    plan = serializers.IntegerField(required=False, help_text="A plan of the same service.")


class OfferedPlanSerializer(serializers.ModelSerializer):
    service_name = serializers.CharField(source="service.name", read_only=True)

    class Meta:
        model = Plan
        fields = ["id", "service", "service_name", "name", "user_limit"]
        read_only_fields = fields


def _customer(request, pk: int) -> Organisation:
    return visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)


def _require_services(request, organisation: Organisation) -> None:
    if not catalogue.may_manage_services_of(request.user, organisation):
        raise PermissionDenied


def _with_seats(subscriptions):
    """The seats counted in the page's own query, not one query per subscription."""
    return annotate_usage(subscriptions)


class SubscriptionList(generics.ListAPIView):
    """A customer's services; POST provisions one (as the customer's Services page)."""

    serializer_class = SubscriptionSerializer
    pagination_class = ByIdCursor

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CustomerService.objects.none()
        organisation = _customer(self.request, self.kwargs["pk"])
        return _with_seats(CustomerService.objects.filter(organisation=organisation))

    @extend_schema(request=SubscriptionCreateSerializer, responses={201: SubscriptionSerializer})
    @idempotent
    def post(self, request, pk: int):
        organisation = _customer(request, pk)
        _require_services(request, organisation)
        incoming = SubscriptionCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        form = valid_form(ProvisionForm(incoming.validated_data, organisation=organisation))
        subscription, job = catalogue.provision_service(
            actor=request.user, organisation=organisation, **form.cleaned_data
        )
        headers = {
            "Location": reverse("api:subscription-detail", args=[subscription.pk]),
            **_job_link(request, [job]),
        }
        body = SubscriptionSerializer(subscription).data
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class OfferedPlanList(APIView):
    @extend_schema(responses=OfferedPlanSerializer(many=True))
    def get(self, request, pk: int):
        """The plans this customer may be given now (for those who manage its services)."""
        organisation = _customer(request, pk)
        _require_services(request, organisation)
        plans = ProvisionForm(organisation=organisation).fields["plan"].queryset
        return Response(OfferedPlanSerializer(plans, many=True).data)


def _subscription(request, pk: int, *, lock: bool = False, seats: bool = False):
    subscriptions = CustomerService.objects.select_related(
        "service", "plan", "organisation", "organisation__parent"
    )
    if seats:
        subscriptions = annotate_usage(subscriptions)
    if lock:
        subscriptions = subscriptions.select_for_update(of=("self",))
    return visible_or_404(request, subscriptions, pk=pk)


DEPROVISION_CONFIRM = OpenApiParameter(
    "confirm",
    bool,
    description="Also take the service from every user who has it (refused otherwise).",
)


class SubscriptionDetail(APIView):
    @extend_schema(responses=SubscriptionSerializer)
    def get(self, request, pk: int):
        subscription = _subscription(request, pk, seats=True)
        return with_etag(Response(SubscriptionSerializer(subscription).data))

    @extend_schema(
        request=SubscriptionChangeSerializer,
        responses=SubscriptionSerializer,
        parameters=[IF_MATCH],
    )
    @transaction.atomic
    def patch(self, request, pk: int):
        """Change the plan (of the same service) or the seats."""
        subscription = _subscription(request, pk, lock=True)
        _require_services(request, subscription.organisation)
        check_if_match(request, etag_for(SubscriptionSerializer(subscription).data))
        incoming = SubscriptionChangeSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        data = {
            "plan": subscription.plan_id,
            "user_limit": subscription.user_limit,
            **incoming.validated_data,
        }
        form = valid_form(ChangePlanForm(data, subscription=subscription))
        job = catalogue.change_plan(
            actor=request.user, subscription=subscription, **form.cleaned_data
        )
        subscription = _subscription(request, pk, seats=True)
        return with_etag(
            Response(SubscriptionSerializer(subscription).data, headers=_job_link(request, [job]))
        )

    @extend_schema(request=None, responses=ACCEPTED, parameters=[IF_MATCH, DEPROVISION_CONFIRM])
    @transaction.atomic
    def delete(self, request, pk: int):
        """Take the service from the customer: a job removes it from the directory."""
        subscription = _subscription(request, pk, lock=True)
        _require_services(request, subscription.organisation)
        check_if_match(request, etag_for(SubscriptionSerializer(subscription).data))
        confirm = request.query_params.get("confirm", "").lower() in ("1", "true", "yes")
        job = catalogue.deprovision_service(
            actor=request.user, subscription=subscription, confirm=confirm
        )
        return accepted(request, [job])


# --- Its users' assignments ------------------------------------------------------------------


class AssignmentSerializer(serializers.ModelSerializer):
    upn = serializers.CharField(source="user.upn", read_only=True)

    class Meta:
        model = UserService
        fields = ["id", "user", "upn", "subscription", "created"]
        read_only_fields = fields


class UsersSerializer(serializers.Serializer):
    users = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=1,
        max_length=1000,
        help_text="Users of the customer that has the service.",
    )


def _users_of(request, subscription: CustomerService, ids: list[int]) -> list[User]:
    """The named users, each a user of this customer the caller can see (else a 404, as a
    URL would be)."""
    found = list(
        User.objects.restrict(request.user, "view").filter(
            organisation=subscription.organisation_id, pk__in=ids
        )
    )
    if len(found) != len(set(ids)):
        raise serializers.ValidationError({"users": ["Choose users of this customer."]})
    return found


class AssignmentList(generics.ListAPIView):
    """The users who have this service; POST gives it to more of the customer's users."""

    serializer_class = AssignmentSerializer
    pagination_class = ByIdCursor

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return UserService.objects.none()
        subscription = _subscription(self.request, self.kwargs["pk"])
        return (
            UserService.objects.restrict(self.request.user, "view")
            .filter(subscription=subscription)
            .select_related("user")
        )

    @extend_schema(request=UsersSerializer, responses=ACCEPTED)
    @idempotent
    def post(self, request, pk: int):
        return self.change(request, pk, give=True)

    @staticmethod
    def change(request, pk: int, *, give: bool):
        subscription = _subscription(request, pk)
        if not has_permission(request.user, "assign_services", subscription.organisation):
            raise PermissionDenied
        incoming = UsersSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        users = _users_of(request, subscription, incoming.validated_data["users"])
        change = assignments.give_service if give else assignments.take_service
        return accepted(
            request, [change(actor=request.user, subscription=subscription, users=users)]
        )


class AssignmentTake(APIView):
    @extend_schema(request=UsersSerializer, responses=ACCEPTED)
    @idempotent
    def post(self, request, pk: int):
        """Take the service from these users (a directory account stays with every user)."""
        return AssignmentList.change(request, pk, give=False)
