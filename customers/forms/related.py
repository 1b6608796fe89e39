"""Forms for what hangs off a customer: contacts, domains, role grants."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.actions.organisations import domain_problems
from customers.actions.roles import grantable_roles
from customers.forms.widgets import StyledFormMixin
from customers.models import Contact, Organisation, Role, User
from customers.models.validators import normalise_domain, validate_domain_name


class ContactForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "phone", "email", "role"]
        labels = {"name": "Contact Name"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()


def free_domain_name(value: str, organisation: Organisation | None = None) -> str:
    """`value` as a domain name that is valid and that ``organisation`` may claim (see
    ``domain_problems``: not taken, not the forest's, not inside another tenant's)."""
    name = normalise_domain(value)
    validate_domain_name(name)
    problems = domain_problems(name, organisation)
    if problems:
        raise forms.ValidationError(problems)
    return name


class DomainForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Domain Name"), max_length=253)

    def __init__(self, *args, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.style_widgets()

    def clean_name(self) -> str:
        return free_domain_name(self.cleaned_data["name"], self.organisation)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} ({obj.username})"


class GrantForm(StyledFormMixin, forms.Form):
    """Grant a role to a user of this organisation; only grantable roles are offered."""

    user = UserChoiceField(label=_("User"), queryset=User.objects.none())
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.none())

    def __init__(self, *args, organisation: Organisation, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.restrict(actor, "view").filter(
            organisation=organisation, is_active=True
        )
        roles = grantable_roles(actor, organisation)
        self.fields["role"].queryset = Role.objects.filter(pk__in=[r.pk for r in roles])
        self.style_widgets()
