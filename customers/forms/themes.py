"""Themes (name, product name, colours, logo, support details, sign-in text), an
organisation's Active Theme, and a reseller's host names."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.forms.widgets import StyledFormMixin
from customers.models import PortalHost, Theme
from customers.models.branding import LOGO_MAX_BYTES


class ThemeForm(StyledFormMixin, forms.ModelForm):
    """The theme's fields; the logo is checked by ``customers.actions.themes.check_logo``
    (its error lands on the logo field)."""

    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("A PNG, JPEG, GIF or WebP image of at most %(size)d KB.")
        % {"size": LOGO_MAX_BYTES // 1024},
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}
        ),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    support_url = forms.URLField(label=_("Support URL"), required=False, assume_scheme="https")

    class Meta:
        model = Theme
        fields = [
            "name",
            "product_name",
            "primary_colour",
            "accent_colour",
            "support_email",
            "support_phone",
            "support_url",
            "sign_in_text",
        ]
        widgets = {
            "primary_colour": forms.TextInput(attrs={"placeholder": "#1f5f3f"}),
            "accent_colour": forms.TextInput(attrs={"placeholder": "#0d6efd"}),
            "sign_in_text": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not (self.instance.pk and self.instance.logo_type):
            del self.fields["remove_logo"]
        self.style_widgets()

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ActiveThemeForm(StyledFormMixin, forms.Form):
    theme = forms.ModelChoiceField(
        label=_("Active Theme"),
        queryset=Theme.objects.none(),
        required=False,
        empty_label=_("Inherit from the parent"),
    )

    def __init__(self, *args, available=None, **kwargs):
        super().__init__(*args, **kwargs)
        if available is not None:
            self.fields["theme"].queryset = available
            self.fields["theme"].label_from_instance = lambda t: f"{t.name} ({t.owner.name})"
        self.style_widgets()


class PortalHostForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = PortalHost
        fields = ["host_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def clean_host_name(self):
        return (self.cleaned_data["host_name"] or "").strip().rstrip(".").lower()
