"""The jobs list's filters (django-filter): states and kinds (multi-select, as the manuals'
list filters are), organisation in the viewer's scope."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from core.filters import MultiSelectFilterMixin
from core.models import Job, JobState
from customers.models import Organisation
from provisioning.job_plans import PLANS


def _kind_choices():
    return [(kind, kind.replace("_", " ").capitalize()) for kind in sorted(PLANS)]


class JobFilter(MultiSelectFilterMixin, django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        label=_("State"),
        choices=JobState.choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    kind = django_filters.MultipleChoiceFilter(
        label=_("Kind"),
        choices=_kind_choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    # Chosen with the organisation picker: a drop-down of every organisation with jobs does
    # not work at 100,000 of them. The form keeps the id, checked against the scope.
    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisation"), queryset=Organisation.objects.none(), widget=forms.HiddenInput
    )

    any_labels = {"state": _("Any state"), "kind": _("Any kind")}

    class Meta:
        model = Job
        fields = ["state", "kind", "organisation"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only organisations whose jobs the viewer may see are offered (or accepted).
        self.filters["organisation"].queryset = organisations_with_jobs_visible_to(user).only(
            "pk", "name"
        )
        self.prepare_multi_select()

    @property
    def chosen_organisation(self):
        """The organisation the list is filtered by (its name goes in the picker)."""
        if self.form.is_valid():
            return self.form.cleaned_data.get("organisation")
        return None


def organisations_with_jobs_visible_to(user):
    return Organisation.objects.holding(user, "view_jobs")
