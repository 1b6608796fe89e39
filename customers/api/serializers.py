"""What the API shows of organisations and users, and what it accepts to change them.

Input serializers only shape and type the request; every rule is the action's (a
ValidationError from it becomes a 400 with the same messages the form shows)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from rest_framework import serializers

from customers.actions.users import EDITABLE_FIELDS as USER_EDITABLE_FIELDS
from customers.forms.related import free_domain_name
from customers.models import Contact, Organisation, User
from customers.models.organisation import EDITABLE_FIELDS as ORGANISATION_EDITABLE_FIELDS

ORGANISATION_FIELDS = [
    "id",
    "url",
    "name",
    "code",
    "kind",
    "status",
    "customer_type",
    "is_reseller",
    "parent",
    "contact_name",
    "email",
    "phone",
    "address",
    "city",
    "state",
    "zip_code",
    "country",
    "description",
    "extended_name",
    "external_id",
    "account_id",
    "language",
    "user_limit",
    "created",
    "updated",
]


class OrganisationSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    kind = serializers.CharField(read_only=True)
    # May be empty: an address, or "" (not an email format).
    email = serializers.CharField(read_only=True)
    # "" is "inherited" (the nearest organisation above that sets one).
    language = serializers.ChoiceField(choices=settings.LANGUAGES, allow_blank=True, read_only=True)

    class Meta:
        model = Organisation
        fields = ORGANISATION_FIELDS
        read_only_fields = fields

    def get_url(self, organisation: Organisation) -> str:
        path = reverse("api:organisation-detail", args=[organisation.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class OrganisationBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "code"]
        read_only_fields = fields


class OrganisationDetailSerializer(OrganisationSerializer):
    ancestors = serializers.SerializerMethodField()

    class Meta(OrganisationSerializer.Meta):
        fields = [*ORGANISATION_FIELDS, "ancestors"]
        read_only_fields = fields

    def get_ancestors(self, organisation: Organisation) -> list[dict]:
        """From the top, those the viewer may see (a customer's admins do not see their
        reseller)."""
        seen = self.context.get("ancestors", [])
        return OrganisationBriefSerializer(seen, many=True).data


# Deal IDs are a JSON list the form edits as text; the API leaves them to the form for now.
EDITABLE = sorted(ORGANISATION_EDITABLE_FIELDS - {"deal_ids"})


class OrganisationEditSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = EDITABLE
        # Uniqueness is the action's to check (with the form's message), not the serializer's.
        extra_kwargs = {"code": {"validators": []}}


class DeleteSerializer(serializers.Serializer):
    """Delete asks for the customer's code, as the Delete page does."""

    confirm_code = serializers.CharField(
        max_length=64, help_text="The customer's code, typed exactly to confirm."
    )


class QuickCustomerSerializer(serializers.Serializer):
    """Quick create, as on the Quick Create page: name, email address, domain."""

    parent = serializers.IntegerField(help_text="The reseller (or provider) to create it under.")
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    domain_name = serializers.CharField(max_length=253)
    provision = serializers.BooleanField(
        default=False, help_text="Also provision it in the directory (Save/Provision)."
    )

    def validate_domain_name(self, value: str) -> str:
        """The Quick Create form's own check: a valid name no other tenant holds."""
        try:
            return free_domain_name(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error


class UserSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    email = serializers.CharField(read_only=True)
    email_aliases = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "url",
            "username",
            "upn",
            "first_name",
            "last_name",
            "display_name",
            "email",
            "email_aliases",
            "organisation",
            "is_active",
            "is_admin",
            "must_change_password",
            "date_joined",
            "last_login",
        ]
        read_only_fields = fields

    def get_url(self, person: User) -> str:
        path = reverse("api:user-detail", args=[person.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class UserCreateSerializer(serializers.Serializer):
    organisation = serializers.IntegerField()
    username = serializers.CharField(max_length=20, required=False, allow_blank=True)
    upn = serializers.CharField(max_length=254)
    password = serializers.CharField(
        required=False, allow_blank=True, write_only=True, style={"input_type": "password"}
    )
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    display_name = serializers.CharField(max_length=256, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    must_change_password = serializers.BooleanField(default=False)
    is_admin = serializers.BooleanField(default=False)


class UserEditSerializer(serializers.ModelSerializer):
    # A list of addresses (the model keeps JSON, which would take any value).
    email_aliases = serializers.ListField(
        child=serializers.CharField(max_length=254), required=False
    )

    class Meta:
        model = User
        fields = list(USER_EDITABLE_FIELDS)
        extra_kwargs = {"upn": {"validators": []}}


class PasswordResetSerializer(serializers.Serializer):
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    must_change_password = serializers.BooleanField(default=True)


class ContactSerializer(serializers.ModelSerializer):
    """A contact person (the Contact Details tab); the fields the Add Contact form has."""

    class Meta:
        model = Contact
        fields = ["id", "organisation", "name", "phone", "email", "role"]
        read_only_fields = ["id", "organisation"]
        # May be empty: not an "email" format when it is.
        extra_kwargs = {"email": {"allow_blank": True}}
