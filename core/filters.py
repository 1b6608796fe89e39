"""Multi-select list filters (django-filter), shared by the Customers, Users and Jobs lists.

The manuals' list filters are multi-select (Druva: tick the values, then Apply or Reset).
A multi-select field renders as a drop-down of check boxes
(templates/includes/multi_filter.html) whose summary says what is chosen; the summary is
worked out here, once, from the choices the field already holds (no extra query).
"""

from __future__ import annotations

from django import forms


def _choices(field) -> list:
    """The field's choices. A model choice field's iterator reads its queryset through a
    server-side cursor (DECLARE, FETCH, CLOSE: three round trips for a dozen rows); a short
    list of choices is read as one plain query instead."""
    queryset = getattr(field, "queryset", None)
    if queryset is None:
        return list(field.choices)
    choices = [("", field.empty_label)] if field.empty_label is not None else []
    for instance in queryset:
        choices.append((field.prepare_value(instance), field.label_from_instance(instance)))
    return choices


class MultiSelectFilterMixin:
    """For a FilterSet: every check-box field gets ``summary`` ("Any status", "Active,
    Suspended") and ``any_label``. Model choices are read once and kept on the widget, so
    rendering the summary and the boxes asks the database once, not twice."""

    any_labels: dict[str, str] = {}

    def prepare_search_box(self, placeholder: str, name: str = "q") -> None:
        """The list's free-text search field: a search box that says what it searches."""
        self.form.fields[name].widget.attrs.update(
            {"class": "form-control", "placeholder": placeholder, "type": "search"}
        )

    def prepare_multi_select(self) -> None:
        data = self.form.data
        for name, field in self.form.fields.items():
            widget = field.widget
            if not isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            widget.choices = [(str(value), label) for value, label in _choices(field)]
            chosen = set(data.getlist(name)) if hasattr(data, "getlist") else set()
            labels = [str(label) for value, label in widget.choices if value in chosen]
            field.any_label = self.any_labels.get(name, field.label)
            field.summary = ", ".join(labels) if labels else field.any_label
            field.chosen_count = len(labels)
            widget.attrs.pop("class", None)
            widget.attrs["class"] = "form-check-input"
