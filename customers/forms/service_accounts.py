"""New service account: a name for the program and the role it holds here."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.actions.roles import grantable_roles
from customers.forms.widgets import StyledFormMixin
from customers.models import Organisation, Role, User


class ServiceAccountForm(StyledFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("The program it is for, e.g. PSA sync.")
    )
    role = forms.ModelChoiceField(
        label=_("Role"),
        queryset=Role.objects.none(),
        help_text=_("Its keys can do at most what this role allows here."),
    )

    def __init__(self, *args, organisation: Organisation, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        roles = grantable_roles(actor, organisation)
        self.fields["role"].queryset = Role.objects.filter(pk__in=[r.pk for r in roles])
        self.style_widgets()
