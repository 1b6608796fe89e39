"""Organisations, customers and users over HTTP: the same actions as the pages, reads through
``restrict``. A foreign object is a 404, a forbidden action a 403 (the actions' own
PermissionDenied), an action's ValidationError a 400 with the form's messages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import ByIdCursor
from core.api.safe_writes import IF_MATCH, check_if_match, etag_for, idempotent, with_etag
from core.api.serializers import ACCEPTED, accepted, job_url
from core.scoping import decider, has_permission
from core.views import visible_or_404
from customers.actions.contacts import add_contact, delete_contact, update_contact
from customers.actions.customers import create_customer, edit_customer
from customers.actions.lifecycle import (
    deprovision_and_delete,
    deprovision_organisation,
    provision_organisation,
    restore_organisation,
    resume_organisation,
    suspend_organisation,
)
from customers.actions.users import (
    create_user,
    delete_user,
    edit_user,
    reset_password,
    set_enabled,
    unlock_user,
)
from customers.actions.verification import upn_domain_names
from customers.api.serializers import (
    ContactSerializer,
    DeleteSerializer,
    OrganisationDetailSerializer,
    OrganisationEditSerializer,
    OrganisationSerializer,
    PasswordResetSerializer,
    QuickCustomerSerializer,
    UserCreateSerializer,
    UserEditSerializer,
    UserSerializer,
)
from customers.filters import OrganisationFilter
from customers.models import Contact, Organisation, User


def _job_link(request, jobs) -> dict[str, str]:
    """A ``Link`` header to the job a write started, if it started one."""
    jobs = [job for job in jobs if job is not None]
    return {"Link": f'<{job_url(jobs[0], request)}>; rel="job"'} if jobs else {}


def _visible_organisation(user, pk: int) -> Organisation:
    """An organisation named in a request body: one the caller cannot see is a 404, as in
    the URL (a 400 would tell them it exists)."""
    return get_object_or_404(Organisation.objects.restrict(user, "view"), pk=pk)


def _check_upn_domain(organisation: Organisation, upn: str | None) -> None:
    """The domains the Create User and Edit forms offer after the @: the customer's own (or
    its nearest ancestor's), the same list, so the API accepts no UPN the form would not."""
    if upn is None or organisation is None:
        return
    offered = upn_domain_names(organisation)
    if upn.rpartition("@")[2].lower() not in offered:
        raise ValidationError(
            {"upn": _("Use one of this customer's domains: %s.") % ", ".join(offered)}
        )


class OrganisationList(generics.ListAPIView):
    """Organisations you may see, with the Customers list's search and filters."""

    serializer_class = OrganisationSerializer
    pagination_class = ByIdCursor
    filterset_class = OrganisationFilter

    def get_queryset(self):
        return Organisation.objects.restrict(self.request.user, "view")


class OrganisationDetail(APIView):
    @extend_schema(responses=OrganisationDetailSerializer)
    def get(self, request, pk: int):
        organisation = visible_or_404(request, Organisation, pk=pk)
        return with_etag(Response(self.represent(request, organisation)))

    @extend_schema(
        request=OrganisationEditSerializer,
        responses=OrganisationDetailSerializer,
        parameters=[IF_MATCH],
    )
    @transaction.atomic
    def patch(self, request, pk: int):
        """Edit, as on the Edit tab; a provisioned customer's change is applied by a job
        (``Link: <job>; rel="job"``). With ``If-Match``, only if nobody changed it since."""
        # Locked from the ETag check to the save, so no change slips in between.
        organisation = visible_or_404(request, Organisation.objects.select_for_update(), pk=pk)
        check_if_match(request, etag_for(self.represent(request, organisation)))
        incoming = OrganisationEditSerializer(organisation, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        job = edit_customer(
            actor=request.user, organisation=organisation, changes=dict(incoming.validated_data)
        )
        response = Response(
            self.represent(request, organisation), headers=_job_link(request, [job])
        )
        return with_etag(response)

    @staticmethod
    def represent(request, organisation: Organisation) -> dict:
        ancestors = list(
            organisation.get_ancestors().restrict(request.user, "view").only("id", "name", "code")
        )
        context = {"request": request, "ancestors": ancestors}
        return OrganisationDetailSerializer(organisation, context=context).data


class OrganisationLifecycle(APIView):
    """Provision, suspend, resume or deprovision: 202 with the job that does it in the
    directory (200 and no job when there is nothing to do there, as for a draft)."""

    action = ""
    ACTIONS = {
        "provision": provision_organisation,
        "suspend": suspend_organisation,
        "resume": resume_organisation,
        "deprovision": deprovision_organisation,
    }

    @extend_schema(request=None, responses=ACCEPTED)
    @idempotent
    def post(self, request, pk: int):
        organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
        # As on the customer page: nothing above the provider decides about it, and its own
        # admins may only provision it.
        if organisation.is_provider and self.action != "provision":
            raise PermissionDenied
        job = self.ACTIONS[self.action](actor=request.user, organisation=organisation)
        return accepted(request, [job])


class OrganisationDelete(APIView):
    """Deprovision and delete, as the customer page's Delete: suspended first if active,
    deprovisioned by a job that deletes it when it succeeds (202 with that job), or deleted at
    once when it is a draft or already deprovisioned (200, no job). Asks for the customer's
    code, as the page does; a provider admin can restore it within the retention period."""

    @extend_schema(request=DeleteSerializer, responses=ACCEPTED)
    @idempotent
    def post(self, request, pk: int):
        organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
        # As the Delete page: refused before the code is asked for.
        if organisation.is_provider or not has_permission(
            request.user, "manage_lifecycle", decider(organisation)
        ):
            raise PermissionDenied
        incoming = DeleteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        job = deprovision_and_delete(
            actor=request.user,
            organisation=organisation,
            confirm_code=incoming.validated_data["confirm_code"],
        )
        return accepted(request, [job])


class OrganisationRestore(APIView):
    """Bring a deleted customer back as deprovisioned (provider admins, within the retention
    period), as the customer page's Restore; 200, no job."""

    @extend_schema(request=None, responses=ACCEPTED)
    @idempotent
    def post(self, request, pk: int):
        organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
        restore_organisation(actor=request.user, organisation=organisation)
        return accepted(request, [])


class CustomerCreate(APIView):
    @extend_schema(request=QuickCustomerSerializer, responses={201: OrganisationSerializer})
    @idempotent
    def post(self, request):
        """Quick create (name, email address, domain), optionally provisioned at once."""
        incoming = QuickCustomerSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        parent = _visible_organisation(request.user, data["parent"])
        try:
            organisation, job = create_customer(
                actor=request.user,
                parent=parent,
                name=data["name"],
                email=data["email"],
                domains=[data["domain_name"]],
                provision=data["provision"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "domains" in error.error_dict:
                error.error_dict["domain_name"] = error.error_dict.pop("domains")
            raise
        headers = {
            "Location": reverse("api:organisation-detail", args=[organisation.pk]),
            **_job_link(request, [job]),
        }
        body = OrganisationSerializer(organisation, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class UserList(generics.ListCreateAPIView):
    """Users you may see; POST creates one (as Create User)."""

    serializer_class = UserSerializer
    pagination_class = ByIdCursor
    filterset_fields = ["organisation", "is_active", "is_admin"]

    def get_queryset(self):
        return User.objects.restrict(self.request.user, "view")

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer})
    @idempotent
    def post(self, request):
        incoming = UserCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = {"username": "", **incoming.validated_data}
        organisation = _visible_organisation(request.user, data.pop("organisation"))
        _check_upn_domain(organisation, data["upn"])
        person, jobs = create_user(actor=request.user, organisation=organisation, **data)
        headers = {"Location": reverse("api:user-detail", args=[person.pk])}
        headers.update(_job_link(request, jobs))
        body = UserSerializer(person, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class UserDetail(APIView):
    @extend_schema(responses=UserSerializer)
    def get(self, request, pk: int):
        person = visible_or_404(request, User, pk=pk)
        return with_etag(Response(UserSerializer(person, context={"request": request}).data))

    @extend_schema(request=UserEditSerializer, responses=UserSerializer, parameters=[IF_MATCH])
    @transaction.atomic
    def patch(self, request, pk: int):
        locked = User.objects.select_for_update(of=("self",)).select_related("organisation")
        person = visible_or_404(request, locked, pk=pk)
        check_if_match(request, etag_for(UserSerializer(person, context={"request": request}).data))
        incoming = UserEditSerializer(person, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        _check_upn_domain(person.organisation, incoming.validated_data.get("upn"))
        job = edit_user(actor=request.user, person=person, changes=dict(incoming.validated_data))
        body = UserSerializer(person, context={"request": request}).data
        return with_etag(Response(body, headers=_job_link(request, [job])))

    @extend_schema(request=None, responses=ACCEPTED, parameters=[IF_MATCH])
    @transaction.atomic
    def delete(self, request, pk: int):
        """Delete, as Delete User; the job deletes the directory account. With ``If-Match``,
        only if nobody changed the user since."""
        locked = User.objects.select_for_update(of=("self",)).select_related("organisation")
        person = visible_or_404(request, locked, pk=pk)
        check_if_match(request, etag_for(UserSerializer(person, context={"request": request}).data))
        return accepted(request, [delete_user(actor=request.user, person=person)])


class UserEnabled(APIView):
    """Disable or enable: 202 with the job that does it in the directory."""

    enabled = False

    @extend_schema(request=None, responses=ACCEPTED)
    @idempotent
    def post(self, request, pk: int):
        person = visible_or_404(request, User.objects.select_related("organisation"), pk=pk)
        job = set_enabled(actor=request.user, person=person, enabled=self.enabled)
        return accepted(request, [job])


class UserUnlock(APIView):
    @extend_schema(request=None, responses=ACCEPTED)
    @idempotent
    def post(self, request, pk: int):
        """Clear a lock-out after too many wrong passwords, in the portal and in AD."""
        person = visible_or_404(request, User.objects.select_related("organisation"), pk=pk)
        return accepted(request, [unlock_user(actor=request.user, person=person)])


class UserResetPassword(APIView):
    @extend_schema(
        request=PasswordResetSerializer,
        responses=ACCEPTED,
    )
    @idempotent
    def post(self, request, pk: int):
        person = visible_or_404(request, User.objects.select_related("organisation"), pk=pk)
        incoming = PasswordResetSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        job = reset_password(actor=request.user, person=person, **incoming.validated_data)
        return accepted(request, [job])


class ContactList(generics.ListAPIView):
    """A customer's contact persons; POST adds one (as Add Contact)."""

    serializer_class = ContactSerializer
    pagination_class = ByIdCursor

    def organisation(self) -> Organisation:
        return visible_or_404(self.request, Organisation, pk=self.kwargs["pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's dry run
            return Contact.objects.none()
        return Contact.objects.filter(organisation=self.organisation())

    @extend_schema(request=ContactSerializer, responses={201: ContactSerializer})
    @idempotent
    def post(self, request, pk: int):
        organisation = self.organisation()
        incoming = ContactSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        contact = add_contact(
            actor=request.user, organisation=organisation, **incoming.validated_data
        )
        headers = {"Location": reverse("api:contact-detail", args=[pk, contact.pk])}
        return Response(
            ContactSerializer(contact).data, status=status.HTTP_201_CREATED, headers=headers
        )


class ContactDetail(APIView):
    @staticmethod
    def contact(request, pk: int, contact_pk: int, *, lock: bool = False) -> Contact:
        organisation = visible_or_404(request, Organisation, pk=pk)
        contacts = Contact.objects.filter(organisation=organisation)
        if lock:
            contacts = contacts.select_for_update(of=("self",))
        return visible_or_404(request, contacts.select_related("organisation"), pk=contact_pk)

    @extend_schema(responses=ContactSerializer)
    def get(self, request, pk: int, contact_pk: int):
        contact = self.contact(request, pk, contact_pk)
        return with_etag(Response(ContactSerializer(contact).data))

    @extend_schema(request=ContactSerializer, responses=ContactSerializer, parameters=[IF_MATCH])
    @transaction.atomic
    def patch(self, request, pk: int, contact_pk: int):
        contact = self.contact(request, pk, contact_pk, lock=True)
        check_if_match(request, etag_for(ContactSerializer(contact).data))
        incoming = ContactSerializer(contact, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        contact = update_contact(actor=request.user, contact=contact, **incoming.validated_data)
        return with_etag(Response(ContactSerializer(contact).data))

    @extend_schema(request=None, responses={204: None}, parameters=[IF_MATCH])
    @transaction.atomic
    def delete(self, request, pk: int, contact_pk: int):
        contact = self.contact(request, pk, contact_pk, lock=True)
        check_if_match(request, etag_for(ContactSerializer(contact).data))
        delete_contact(actor=request.user, contact=contact)
        return Response(status=status.HTTP_204_NO_CONTENT)
