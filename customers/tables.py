"""The Customers table: django-tables2 for its columns, sorting and pages, one sortable column
at a time with its arrow; the rows are rendered by a plain template (``customers/_table.html``).

django-tables2 renders every cell through its own machinery (accessors, signature inspection,
attributes, a template per cell): 25 rows of 15 columns took most of the page's CPU, the
same with 1,000 organisations or 100,000. The plain template writes the same cells directly.
"""

from __future__ import annotations

from functools import cached_property

import django_tables2 as tables
from django.db.models import OuterRef, Subquery
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import DriftReport
from customers.models import Domain, Organisation


def with_primary_domain(queryset):
    """Annotate each organisation's primary domain name (one subquery, not one per row)."""
    primary = Domain.objects.filter(organisation=OuterRef("pk"), is_primary=True).values("name")
    return queryset.annotate(primary_domain_name=Subquery(primary[:1]))


def select_column(describe) -> tables.CheckBoxColumn:
    """A tick box per row for the bulk actions, and "select all on this page" in the header
    (static/canopy/canopy.js ticks the rows' boxes)."""
    return tables.CheckBoxColumn(
        accessor="pk",
        orderable=False,
        attrs={
            "th__input": {
                "data-select-all": "selected",
                "aria-label": _("Select all on this page"),
                "class": "form-check-input",
            },
            "td__input": {
                "aria-label": lambda record: _("Select %(name)s") % {"name": describe(record)},
                "class": "form-check-input",
            },
        },
    )


def with_drift(queryset):
    """Annotate how many differences the latest reconcile left (one subquery, not one per
    row); the status column shows a badge when there are some."""
    latest = DriftReport.objects.filter(organisation=OuterRef("pk")).order_by("-created", "-pk")
    return queryset.annotate(drift_remaining=Subquery(latest.values("remaining")[:1]))


DRIFT_BADGE = gettext_lazy("Drift")
DRIFT_TITLE = gettext_lazy("The last check found the directory differs from the portal")


class OrganisationTable(tables.Table):
    """Header, sort and pages; the body is ``page_records`` in a plain template."""

    selected = select_column(lambda record: record.name)
    name = tables.Column(verbose_name=_("Full Name"), linkify=True)
    code = tables.Column(verbose_name=_("Code"))
    kind = tables.Column(verbose_name=_("Kind"), accessor="kind", orderable=False, empty_values=())
    customer_type = tables.Column(verbose_name=_("Customer Type"))
    status = tables.Column(verbose_name=_("Status"))
    parent = tables.Column(verbose_name=_("Parent"), accessor="parent__name", orderable=False)
    primary_domain_name = tables.Column(verbose_name=_("Domain Name"), orderable=False)
    created = tables.DateTimeColumn(verbose_name=_("Created"), format="SHORT_DATE_FORMAT")

    class Meta:
        model = Organisation
        fields = (
            "selected",
            "name",
            "code",
            "kind",
            "customer_type",
            "status",
            "parent",
            "primary_domain_name",
            "created",
        )
        template_name = "customers/_table.html"
        order_by = ("name",)
        empty_text = gettext_lazy("No customers match.")
        attrs = {
            "class": "table table-sm table-hover align-middle",
            "id": "customers-table",
            # Sort and page links update the results in place; links to a customer do not.
            "tbody": {"hx-boost": "false"},
        }

    def __init__(self, *args, extra_columns=(), **kwargs) -> None:
        super().__init__(*args, extra_columns=extra_columns, **kwargs)
        # The registered columns (billing's), shown after the table's own, in this order.
        self.extra_names = [name for name, _column in extra_columns]

    @cached_property
    def page_records(self) -> list[Organisation]:
        """The shown page's organisations, each with what the plain row template needs that a
        template cannot compute: the status badge and the registered columns' values."""
        records = [row.record for row in self.paginated_rows]
        for record in records:
            record.status_badge = self.render_status(record)
            record.extra_cells = [getattr(record, name, None) for name in self.extra_names]
        return records

    def render_status(self, record: Organisation):
        # Rendered here, not by a TemplateColumn: that would run the context processors
        # (and their queries) once per row.
        status = format_html(
            '<span class="badge status-{} text-bg-{}">{}</span>',
            record.status,
            STATUS_COLOURS.get(record.status, "secondary"),
            record.get_status_display(),
        )
        if getattr(record, "drift_remaining", None):
            status = format_html(
                '{} <span class="badge text-bg-warning" data-drift title="{}">{}</span>',
                status,
                DRIFT_TITLE,
                DRIFT_BADGE,
            )
        return status


STATUS_COLOURS = {
    "active": "success",
    "failed": "danger",
    "suspended": "warning",
    "deleted": "dark",
    "provisioning": "info",
    "deprovisioning": "info",
}
