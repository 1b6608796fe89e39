"""Form plumbing shared by the customer forms: Bootstrap classes, accessible errors, and the
list of domain aliases that grows and shrinks without JavaScript."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from customers.models.validators import normalise_domain, validate_domain_name


class StyledFormMixin:
    """Bootstrap classes on every widget; ``aria-invalid`` and ``aria-describedby`` on fields
    with errors, so a screen reader announces the message next to the field."""

    def style_widgets(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            # How _field.html lays the field out: a single checkbox, a group of them, or a box.
            if isinstance(widget, forms.CheckboxSelectMultiple):
                field.layout = "group"
            elif isinstance(widget, forms.CheckboxInput):
                field.layout = "check"
            else:
                field.layout = "box"
            if isinstance(widget, DomainListWidget | forms.CheckboxSelectMultiple):
                css = "form-check-input" if isinstance(widget, forms.CheckboxSelectMultiple) else ""
            elif isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            if css:
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self[name].auto_id}_error"


class DomainListWidget(forms.Widget):
    """One text box per alias with a Remove button, and an empty box with Update (the
    "Click Update after entering this to add it"). The buttons submit the form; the view
    re-renders it without saving, so adding and removing aliases works without JavaScript."""

    template_name = "customers/widgets/domain_list.html"

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else data.get(name) or []
        return [value.strip() for value in values if value and value.strip()]

    def value_omitted_from_data(self, data, files, name):
        return False

    def format_value(self, value):
        return list(value or [])

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["rows"] = list(value or [])
        return context

    def render(self, name, value, attrs=None, renderer=None):
        # The project's template engine (templates/customers/widgets/), not the form renderer's.
        context = self.get_context(name, value, attrs)
        return mark_safe(render_to_string(self.template_name, context))  # noqa: S308


class DomainListField(forms.Field):
    """A list of domain names, normalised (lower case, no trailing dot), each one checked."""

    widget = DomainListWidget

    def to_python(self, value):
        return [normalise_domain(v) for v in (value or []) if v.strip()]

    def validate(self, value):
        super().validate(value)
        errors = []
        for name in value:
            if len(name) > 253:
                errors.append(
                    ValidationError(_("%(name)s…: at most 253 characters.") % {"name": name[:40]})
                )
                continue
            try:
                validate_domain_name(name)
            except ValidationError as error:
                errors.append(ValidationError(f"{name}: {error.messages[0]}"))
        if errors:
            raise ValidationError(errors)


def comma_list(text: str) -> list[str]:
    """ "a, b,,c " -> ["a", "b", "c"] (Deal IDs, tags)."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]
