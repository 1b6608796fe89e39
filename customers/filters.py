"""The Customers list's search and filters (django-filter); choices come from the viewer's scope.

"Service" keeps organisations that hold any of the given services (a ``CustomerService``
row); its choices are the active catalogue services. Parent Reseller is chosen with the
organisation picker (customers/views/picker.py), not from a list of every reseller.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from core.filters import MultiSelectFilterMixin
from customers.models import (
    Contact,
    CustomerService,
    Domain,
    Organisation,
    OrganisationType,
    SecurityEvent,
    SecurityEventKind,
    Service,
    Status,
    Tag,
    User,
    UserService,
)

SORTABLE = {"name", "code", "customer_type", "status", "created"}


@extend_schema_field({"type": "array", "items": {"type": "integer"}})
class IdsFilter(django_filters.ModelMultipleChoiceFilter):
    """Tags or services by id, several at once (the API's document says so: the organisation
    has no such column for it to read the type from)."""


class ParentFilter(django_filters.ModelChoiceFilter):
    """Parent Reseller: chosen with the organisation picker (thousands of resellers do not
    fit a drop-down), so the form keeps only the chosen id, checked against the scope."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(*args, **kwargs)


def _checkboxes():
    return forms.CheckboxSelectMultiple


class OrganisationFilter(MultiSelectFilterMixin, django_filters.FilterSet):
    """Search (name, code, domain, contact email) and filters that combine with each other.

    Type, status, tag and service are multi-select: rows matching any ticked value."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    customer_type = django_filters.MultipleChoiceFilter(
        label=_("Customer Type"),
        choices=OrganisationType.choices,
        widget=_checkboxes(),
        distinct=False,
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=Status.choices, widget=_checkboxes(), distinct=False
    )
    parent = ParentFilter(label=_("Parent Reseller"), queryset=Organisation.objects.none())
    tag = IdsFilter(
        label=_("Tag"),
        queryset=Tag.objects.none(),
        widget=_checkboxes(),
        method="tagged",
    )
    service = IdsFilter(
        label=_("Service"),
        queryset=Service.objects.filter(is_active=True).only("pk", "name"),
        widget=_checkboxes(),
        method="holding_service",
    )

    any_labels = {
        "customer_type": _("Any type"),
        "status": _("Any status but deleted"),
        "tag": _("Any tag"),
        "service": _("Any service"),
    }

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
        ).only("pk", "name", "parent_id")
        self.filters["tag"].queryset = Tag.objects.filter(Exists(scope.filter(tags=OuterRef("pk"))))
        self.prepare_search_box(_("Name, code, domain or email"))
        self.prepare_multi_select()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # One trigram-indexed lookup per column, and the union of their ids: an OR over the
        # columns of three tables (EXISTS for domains and contacts) has the planner read
        # every organisation in scope instead, all 100,000 for the provider.
        matches = (
            Organisation.objects.filter(name__icontains=value)
            .values("pk")
            .union(
                Organisation.objects.filter(code__icontains=value).values("pk"),
                Organisation.objects.filter(email__icontains=value).values("pk"),
                Domain.objects.filter(name__icontains=value).values("organisation_id"),
                Contact.objects.filter(email__icontains=value).values("organisation_id"),
            )
        )
        return queryset.filter(pk__in=matches)

    def tagged(self, queryset, name, value):
        if not value:
            return queryset
        tagged = Organisation.tags.through.objects.filter(
            organisation=OuterRef("pk"), tag__in=value
        )
        return queryset.filter(Exists(tagged))

    def holding_service(self, queryset, name, value):
        if not value:
            return queryset
        held = CustomerService.objects.filter(organisation=OuterRef("pk"), service__in=value)
        return queryset.filter(Exists(held))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.exclude(status=Status.DELETED)
        return queryset

    @property
    def chosen_parent(self) -> Organisation | None:
        """The Parent Reseller the list is filtered by (its name goes in the picker)."""
        if self.form.is_valid():
            return self.form.cleaned_data.get("parent")
        return None


class UserFilter(MultiSelectFilterMixin, django_filters.FilterSet):
    """The Users list: search (username, UPN, name) and multi-select status and service."""

    q = django_filters.CharFilter(label=_("Find users"), method="search")
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=[("enabled", _("Enabled")), ("disabled", _("Disabled"))],
        widget=_checkboxes(),
        method="by_status",
    )
    service = IdsFilter(
        label=_("Service"),
        queryset=Service.objects.filter(is_active=True).only("pk", "name"),
        widget=_checkboxes(),
        method="holding_service",
    )

    any_labels = {"status": _("Any status"), "service": _("Any service")}

    class Meta:
        model = User
        fields = ["q", "status", "service"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepare_search_box(_("Username, UPN or name"))
        self.prepare_multi_select()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(username__icontains=value)
            | Q(upn__icontains=value)
            | Q(display_name__icontains=value)
        )

    def by_status(self, queryset, name, value):
        wanted = {choice == "enabled" for choice in value}
        return queryset.filter(is_active__in=wanted) if value else queryset

    def holding_service(self, queryset, name, value):
        if not value:
            return queryset
        held = UserService.objects.filter(user=OuterRef("pk"), subscription__service__in=value)
        return queryset.filter(Exists(held))


class SecurityEventFilter(django_filters.FilterSet):
    """The Security log's one filter: the kind of event."""

    kind = django_filters.ChoiceFilter(
        label=_("Event"), choices=SecurityEventKind.choices, empty_label=_("Any event")
    )

    class Meta:
        model = SecurityEvent
        fields = ["kind"]
