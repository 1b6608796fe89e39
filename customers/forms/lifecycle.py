"""Confirmations for the lifecycle actions that cannot be undone in one click."""

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.forms.widgets import StyledFormMixin


class DeleteForm(StyledFormMixin, forms.Form):
    confirm_code = forms.CharField(label=_("Code"), max_length=20)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["confirm_code"].help_text = _(
            "Type the customer's code (%(code)s) to confirm."
        ) % {"code": organisation.code}
        self.fields["confirm_code"].widget.attrs["autocomplete"] = "off"
        self.style_widgets()

    def clean_confirm_code(self) -> str:
        code = self.cleaned_data["confirm_code"].strip()
        if code != self.organisation.code:
            raise forms.ValidationError(_("Type the customer's code exactly to confirm."))
        return code


class MoveForm(forms.Form):
    """Where a customer goes: chosen with the organisation picker, which fills this field.

    ``candidates`` are the organisations the person may put customers in (the view's scope);
    an id outside them is "not one of the available choices", like any forged choice."""

    new_parent = forms.ModelChoiceField(
        queryset=None,
        label=_("New reseller"),
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Choose the reseller to move it to."),
            "invalid_choice": _("Choose one of the resellers offered."),
        },
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_parent"].queryset = candidates
