"""Find: the Customers list (search, filters, sort, pages) and the hierarchy tree."""

from __future__ import annotations

from dataclasses import dataclass, field

import django_tables2 as tables
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q
from django.shortcuts import render
from django_tables2 import RequestConfig

from core.counting import BoundedPaginator
from core.registry import CUSTOMER_LIST_EXTENSIONS
from customers.filters import OrganisationFilter
from customers.forms.organisation import eligible_parents
from customers.models import Organisation, Status
from customers.tables import OrganisationTable, with_primary_domain
from customers.views.common import scoped_organisations

PER_PAGE = 25


def filtered_organisations(request):
    """The list's rows: the viewer's scope, the acting subtree, then search and filters.

    The CSV export uses exactly this queryset, so it can never export more than the list shows.
    """
    scope = scoped_organisations(request)
    rows = scope
    extra_filters = {}
    for extension in CUSTOMER_LIST_EXTENSIONS.values():
        # Apps above customers (billing) add columns and filters through core.registry.
        rows = rows.annotate(**extension.annotations())
        extra_filters.update(extension.filters(scope))
    filterset = OrganisationFilter(request.GET, queryset=rows, scope=scope, extra=extra_filters)
    return filterset, list_rows(filterset)


def list_rows(filterset: OrganisationFilter):
    """The filtered rows with what each shown row needs: its parent and primary domain."""
    return with_primary_domain(filterset.qs.select_related("parent"))


class NullsLastColumn(tables.Column):
    """A registered column: organisations without a value (no billing account) sort last
    in both directions, so the arrow shows the rows that have one first."""

    def order(self, queryset, is_descending):
        field = F(self.accessor)
        ordering = field.desc(nulls_last=True) if is_descending else field.asc(nulls_last=True)
        return queryset.order_by(ordering, "pk"), True


def extra_columns() -> list[tuple[str, tables.Column]]:
    return [
        (name, NullsLastColumn(verbose_name=label, orderable=sortable))
        for extension in CUSTOMER_LIST_EXTENSIONS.values()
        for name, label, sortable in extension.columns
    ]


@login_required
def customer_list(request):
    filterset, queryset = filtered_organisations(request)
    table = OrganisationTable(queryset, extra_columns=extra_columns())
    # Exact up to 10,000 rows, then "about": the provider's list must not count 100,000.
    paginate = {"per_page": PER_PAGE, "paginator_class": BoundedPaginator}
    RequestConfig(request, paginate=paginate).configure(table)
    context = {
        "filter": filterset,
        "table": table,
        "may_create": eligible_parents(request.user).exists(),
        "querystring": request.GET.urlencode(),
        # Sorting by a header link must survive the next filter change: the filter form
        # carries the sort, refreshed out of band with each partial update.
        "sort": request.GET.get("sort", ""),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "customers/_list_results.html", context)
    return render(request, "customers/list.html", context)


@dataclass
class TreeNode:
    organisation: Organisation
    children: list[TreeNode] = field(default_factory=list)


def build_tree(nodes: list[Organisation]) -> list[TreeNode]:
    """Nest organisations given in (tree_id, lft) order; a node whose parent is not in the
    list (not visible, or not a reseller) becomes a root. No queries."""
    roots: list[TreeNode] = []
    stack: list[TreeNode] = []
    for organisation in nodes:
        node = TreeNode(organisation)
        while stack and not (
            stack[-1].organisation.tree_id == organisation.tree_id
            and stack[-1].organisation.lft < organisation.lft < stack[-1].organisation.rght
        ):
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


@login_required
def customer_tree(request):
    """The provider and its resellers as a collapsible tree, with counts (one query)."""
    live = ~Q(children__status=Status.DELETED)
    nodes = (
        scoped_organisations(request)
        .filter(Q(is_reseller=True) | Q(parent__isnull=True))
        .exclude(status=Status.DELETED)
        .annotate(
            customer_count=Count("children", filter=Q(children__is_reseller=False) & live),
            reseller_count=Count("children", filter=Q(children__is_reseller=True) & live),
        )
        .order_by("tree_id", "lft")
    )
    return render(request, "customers/tree.html", {"roots": build_tree(list(nodes))})
