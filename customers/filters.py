"""The Customers list's search and filters (django-filter); choices come from the viewer's scope.

"Service" keeps organisations that hold a given service (a ``CustomerService`` row); its
choices are the active catalogue services.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q

from customers.models import (
    Contact,
    CustomerService,
    Domain,
    Organisation,
    OrganisationType,
    Service,
    Status,
    Tag,
)

SORTABLE = {"name", "code", "customer_type", "status", "created"}


class ParentChoiceFilter(django_filters.ModelChoiceFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.field_class = ParentField


class ParentField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return f"{'— ' * obj.level}{obj.name}"


class OrganisationFilter(django_filters.FilterSet):
    """Search (name, code, domain, contact email) and filters that combine with each other."""

    q = django_filters.CharFilter(label="Search", method="search")
    customer_type = django_filters.ChoiceFilter(
        label="Customer Type", choices=OrganisationType.choices, empty_label="Any type"
    )
    status = django_filters.ChoiceFilter(
        label="Status", choices=Status.choices, empty_label="Any status but deleted"
    )
    parent = ParentChoiceFilter(
        label="Parent Reseller", queryset=Organisation.objects.none(), empty_label="Any parent"
    )
    tag = django_filters.ModelChoiceFilter(
        label="Tag", field_name="tags", queryset=Tag.objects.none(), empty_label="Any tag"
    )
    service = django_filters.ModelChoiceFilter(
        label="Service",
        queryset=Service.objects.filter(is_active=True).only("pk", "name"),
        empty_label="Any service",
        method="holding_service",
    )

    class Meta:
        model = Organisation
        fields = ["q", "customer_type", "status", "parent", "tag", "service"]

    def __init__(self, data=None, queryset=None, *, scope=None, extra=None, **kwargs):
        super().__init__(data, queryset, **kwargs)
        # Filters registered by the apps above (core.registry.ListExtension), before the form
        # is built from ``self.filters``.
        for name, extra_filter in (extra or {}).items():
            extra_filter.model = self._meta.model
            extra_filter.parent = self
            self.filters[name] = extra_filter
        scope = scope if scope is not None else queryset
        self.filters["parent"].queryset = scope.filter(
            Q(is_reseller=True) | Q(parent__isnull=True)
        ).only("pk", "name", "level", "tree_id", "lft")
        self.filters["tag"].queryset = Tag.objects.filter(Exists(scope.filter(tags=OuterRef("pk"))))
        for name, field in self.form.fields.items():
            field.widget.attrs.setdefault("class", "form-select" if name != "q" else "form-control")
        self.form.fields["q"].widget.attrs.update(
            {"placeholder": "Name, code, domain or email", "type": "search"}
        )

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        domains = Domain.objects.filter(organisation=OuterRef("pk"), name__icontains=value)
        contacts = Contact.objects.filter(organisation=OuterRef("pk"), email__icontains=value)
        return queryset.filter(
            Q(name__icontains=value)
            | Q(code__icontains=value)
            | Q(email__icontains=value)
            | Exists(domains)
            | Exists(contacts)
        )

    def holding_service(self, queryset, name, value):
        held = CustomerService.objects.filter(organisation=OuterRef("pk"), service=value)
        return queryset.filter(Exists(held))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.exclude(status=Status.DELETED)
        return queryset
