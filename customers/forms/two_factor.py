"""The one field two-factor sign-in asks for: a code from the app, or a recovery code."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.forms.widgets import StyledFormMixin


class CodeForm(StyledFormMixin, forms.Form):
    """A six-digit code, or (where ``recovery`` allows it) a recovery code.

    The form only checks the shape; whether the code is right is the action's to say
    (``customers.actions.two_factor.check_code``), on this same field."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )

    def __init__(self, *args, recovery: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = (
            _("The six digits your authenticator app shows, or one of your recovery codes.")
            if recovery
            else _("The six digits your authenticator app shows now.")
        )
        self.style_widgets()

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not code:
            raise forms.ValidationError(_("Enter the code."))
        return code
