"""Login to CP: whom to log in as, and why."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from customers.actions.acting import REASON_MAX
from customers.forms.widgets import StyledFormMixin


class LoginToCpForm(StyledFormMixin, forms.Form):
    """One of the customer's administrators the actor may act as, and a reason (required
    when the provider says so: ``ACT_AS_REASON_REQUIRED``)."""

    target = forms.TypedChoiceField(label=_("Log in as"), coerce=int)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        required=False,
        help_text=_("Recorded in the customer's security log."),
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {person.pk: person for person in candidates}
        self.fields["target"].choices = [
            (person.pk, f"{person} ({person.username})") for person in candidates
        ]
        self.fields["reason"].required = settings.ACT_AS_REASON_REQUIRED
        self.style_widgets()

    def clean_target(self):
        return self.candidates[self.cleaned_data["target"]]
