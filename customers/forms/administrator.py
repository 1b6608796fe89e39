"""The wizard's second step: the customer's first administrator."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from core.scoping import has_permission
from customers.actions.customers import local_admin_identity
from customers.actions.verification import upn_domain_names
from customers.forms.passwords import PasswordCheckMixin
from customers.forms.widgets import StyledFormMixin
from customers.models import Organisation, Role, User
from customers.models.validators import UPN_LOCAL_MESSAGE, UPN_LOCAL_PATTERN, unavailable

USERNAME = re.compile(r"^[A-Za-z0-9._-]{1,20}$")


def cloneable_roles(actor: User, organisation: Organisation) -> list[Role]:
    """Provider and reseller admin roles whose every permission ``actor`` holds here."""
    roles = Role.objects.filter(organisation__isnull=True, is_admin_role=True).prefetch_related(
        "permissions"
    )
    return [
        role
        for role in roles
        if all(has_permission(actor, codename, organisation) for codename in role.codenames())
    ]


class AdministratorForm(PasswordCheckMixin, StyledFormMixin, forms.Form):
    repeat_field = "password2"
    mismatch_message = "The passwords do not match."
    policy_despite_mismatch = True

    create_local_admin = forms.BooleanField(
        label=_("Create Local Admin"),
        required=False,
        help_text=_(
            "Name the administrator after the customer (spaces become underscores); "
            "the identity fields below may then stay empty."
        ),
    )
    cloned_admin_role = forms.ModelChoiceField(
        label=_("Cloned Admin Role"),
        queryset=Role.objects.none(),
        required=False,
        empty_label=_("None: the administrator gets Customer Admin"),
        help_text=_(
            "A copy of this role, prefixed with the customer name, is created for the "
            "administrator."
        ),
    )
    default_admin_role = forms.CharField(
        label=_("Default Admin Role"), required=False, disabled=True
    )
    upn_local = forms.CharField(label=_("UPN"), max_length=64, required=False)
    upn_domain = forms.ChoiceField(label=_("UPN domain"))
    username = forms.CharField(
        label=_("Username"),
        max_length=20,
        required=False,
        help_text=_("At most 20 characters: letters, digits and . - _"),
    )
    first_name = forms.CharField(label=_("First Name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last Name"), max_length=150, required=False)
    display_name = forms.CharField(
        label=_("Display Name"),
        max_length=256,
        required=False,
        help_text=_("Empty: First Name and Last Name."),
    )
    email = forms.EmailField(label=_("Email Address"), max_length=254, required=False)
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Repeat Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, organisation: Organisation, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        roles = cloneable_roles(actor, organisation)
        self.fields["cloned_admin_role"].queryset = Role.objects.filter(
            pk__in=[r.pk for r in roles]
        )
        domains = upn_domain_names(organisation)
        self.fields["upn_domain"].choices = [(d, f"@{d}") for d in domains]
        self.identity = local_admin_identity(organisation)
        self.fields["create_local_admin"].help_text = (
            f"Name the administrator after the customer: {self.identity.username}"
            f"@{domains[0] if domains else '…'}. The identity fields below may then stay empty."
        )
        chosen = self.data.get("cloned_admin_role") if self.is_bound else None
        role = next((r for r in roles if str(r.pk) == str(chosen)), None)
        self.fields["default_admin_role"].initial = (
            f"{organisation.name} {role.name}"[:150] if role else "Customer Admin"
        )
        self.style_widgets()

    def clean(self):
        cleaned = super().clean()
        domain = cleaned.get("upn_domain")
        if cleaned.get("create_local_admin"):
            identity = self.identity
            for key, value in (
                ("upn_local", identity.local_part),
                ("username", identity.username),
                ("first_name", identity.first_name),
                ("last_name", identity.last_name),
                ("display_name", identity.display_name),
            ):
                if not cleaned.get(key) and key not in self.errors:
                    cleaned[key] = value
            if not cleaned.get("email") and domain and "email" not in self.errors:
                cleaned["email"] = f"{identity.local_part}@{domain}"
        else:
            for key in ("upn_local", "username", "first_name", "last_name"):
                if not cleaned.get(key) and key not in self.errors:
                    self.add_error(key, _("This field is required."))
        username = cleaned.get("username") or ""
        if username and not USERNAME.match(username):
            self.add_error("username", _("Use at most 20 letters, digits and . - _ only."))
        elif username and User.objects.filter(username__iexact=username).exists():
            self.add_error("username", unavailable("username", username))
        local = cleaned.get("upn_local") or ""
        if local and not UPN_LOCAL_PATTERN.match(local):
            self.add_error("upn_local", UPN_LOCAL_MESSAGE)
        elif local and domain:
            upn = f"{local}@{domain}".lower()
            if User.objects.filter(upn=upn).exists():
                self.add_error("upn_local", unavailable("upn", upn))
            cleaned["upn"] = upn
        if not cleaned.get("display_name"):
            first, last = cleaned.get("first_name", ""), cleaned.get("last_name", "")
            cleaned["display_name"] = f"{first} {last}".strip()
        self.check_pair(cleaned, username, cleaned.get("display_name", ""))
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "username": data["username"],
            "upn": data["upn"],
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "display_name": data["display_name"],
            "email": data.get("email", ""),
            "password": data["password"],
            "cloned_from": data.get("cloned_admin_role"),
        }
