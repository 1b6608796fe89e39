"""The form a person fills in to make an API key for one of their programs."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.actions.api_keys import SCOPES
from customers.forms.widgets import StyledFormMixin
from customers.models import Organisation, User

DEFAULT_LIFE = timedelta(days=90)


class ApiKeyForm(StyledFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the key is for, so you know which one to revoke."),
    )
    organisation = forms.CharField(
        label=_("Limited to"),
        max_length=20,
        help_text=_(
            "The code of the organisation the key may reach: it and those below it, nothing else."
        ),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Permissions"),
        choices=list(SCOPES.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only permissions you hold there; the key loses any you lose."),
    )
    expires_on = forms.DateField(
        label=_("Expires on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    # An action's error about the subtree lands on the field that names it.
    error_fields = {"expires_at": "expires_on"}

    def __init__(self, *args, owner: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.initial.setdefault("expires_on", (timezone.localdate() + DEFAULT_LIFE).isoformat())
        if owner.organisation_id:
            self.initial.setdefault("organisation", owner.organisation.code)
        self.style_widgets()

    def clean_organisation(self) -> Organisation:
        code = self.cleaned_data["organisation"].strip()
        found = Organisation.objects.restrict(self.owner, "view").filter(code__iexact=code).first()
        if found is None:
            raise forms.ValidationError(_("No organisation of yours has this code."))
        return found

    @property
    def expires_at(self) -> dt.datetime:
        """The end of the chosen day, in the portal's time zone."""
        day = self.cleaned_data["expires_on"]
        return timezone.make_aware(dt.datetime.combine(day, dt.time.max))
