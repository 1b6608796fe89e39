"""The jobs list's filters (django-filter): state, kind, organisation in the viewer's scope."""

from __future__ import annotations

import django_filters

from core.models import Job, JobState
from core.scoping import EVERYTHING, ranges_for, scope_q
from customers.models import Organisation
from provisioning.job_plans import PLANS


def _kind_choices():
    return [(kind, kind.replace("_", " ").capitalize()) for kind in sorted(PLANS)]


class JobFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        label="State", choices=JobState.choices, empty_label="Any state"
    )
    kind = django_filters.ChoiceFilter(label="Kind", choices=_kind_choices, empty_label="Any kind")
    organisation = django_filters.ModelChoiceFilter(
        label="Organisation", queryset=Organisation.objects.none(), empty_label="Any organisation"
    )

    class Meta:
        model = Job
        fields = ["state", "kind", "organisation"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only organisations whose jobs the viewer may see are offered (or accepted).
        self.filters["organisation"].queryset = organisations_with_jobs_visible_to(user)
        for field in self.form.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"


def organisations_with_jobs_visible_to(user):
    ranges = ranges_for(user, "view_jobs")
    if ranges == EVERYTHING:
        return Organisation.objects.all()
    if not ranges:
        return Organisation.objects.none()
    return Organisation.objects.filter(scope_q(ranges, ""))
