"""Add Webhook: the endpoint's URL and the events it is called for."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.forms.widgets import StyledFormMixin
from customers.models import WebhookEvent


class WebhookForm(StyledFormMixin, forms.Form):
    url = forms.URLField(
        label=_("Payload URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("An https:// address on the internet; Canopy POSTs each event to it."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For this organisation and every organisation below it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()
