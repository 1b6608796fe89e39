"""Find: the Customers list (search, filters, sort, pages) and the hierarchy tree."""

from __future__ import annotations

from dataclasses import dataclass, field

import django_tables2 as tables
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django_tables2 import RequestConfig

from core.counting import BoundedPaginator
from core.registry import CUSTOMER_LIST_EXTENSIONS
from core.scoping import EVERYTHING, permission_for, ranges_for
from core.views import visible_or_404
from customers.filters import OrganisationFilter
from customers.forms.organisation import eligible_parents
from customers.models import Organisation, Status
from customers.tables import OrganisationTable, with_drift, with_primary_domain
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
    """The filtered rows with what each shown row needs: its parent, primary domain and
    whether the last directory check found drift."""
    return with_drift(with_primary_domain(filterset.qs.select_related("parent")))


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
    # Set on an opened node whose children are paged: the page they came in.
    page: TreePage | None = None


# The most organisations one opening of the tree shows below one organisation; the rest come
# a page at a time ("Show more"), so a provider with 2,000 resellers costs what 50 cost.
TREE_PAGE = 50


def _with_counts(queryset):
    """Each organisation's direct customers and resellers (deleted ones excluded), as two
    correlated subqueries: PostgreSQL evaluates them after the LIMIT, for the shown rows only."""
    children = (
        Organisation.objects.filter(parent=OuterRef("pk"))
        .exclude(status=Status.DELETED)
        .order_by()
        .values("parent")
    )

    def count(is_reseller: bool):
        counted = children.filter(is_reseller=is_reseller).annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted), 0)

    return queryset.annotate(customer_count=count(False), reseller_count=count(True))


def _tree_nodes(queryset):
    """Resellers and providers, not deleted, with their counts, in tree order."""
    return _with_counts(
        queryset.filter(Q(is_reseller=True) | Q(parent__isnull=True))
        .exclude(status=Status.DELETED)
        .only("pk", "code", "name", "parent_id", "is_reseller", "tree_id", "lft", "rght")
        .order_by("tree_id", "lft")
    )


@dataclass
class TreePage:
    """One page of the resellers directly below ``parent``; ``after`` is where the next page
    starts ("tree_id.lft" of the last one shown), None when there is none."""

    parent: Organisation
    nodes: list[TreeNode]
    after: str | None


def _tree_page(request, parent: Organisation, after: str | None = None) -> TreePage:
    rows = _tree_nodes(scoped_organisations(request).filter(parent=parent))
    if after:
        try:
            tree_id, lft = (int(part) for part in after.split(".", 1))
        except ValueError:
            tree_id, lft = 0, 0
        rows = rows.filter(Q(tree_id__gt=tree_id) | Q(tree_id=tree_id, lft__gt=lft))
    found = list(rows[: TREE_PAGE + 1])
    shown = found[:TREE_PAGE]
    last = shown[-1] if shown else None
    more = f"{last.tree_id}.{last.lft}" if last and len(found) > TREE_PAGE else None
    return TreePage(parent, [TreeNode(organisation) for organisation in shown], more)


@login_required
def customer_tree(request):
    """The organisations at the top of what the viewer sees (the acting one, or their grants'
    or the provider), each with the first page of the resellers just below it; deeper levels
    and further pages load when asked (``customer_tree_children``), so the page costs the same
    with 20 resellers or 2,000: one query for the tops, one per top for its page."""
    acting = request.acting_organisation
    ranges = ranges_for(request.user, permission_for(Organisation, "view"))
    if acting is not None:
        tops = Q(pk=acting.pk)
    elif ranges == EVERYTHING:
        tops = Q(parent__isnull=True)
    else:
        tops = Q(pk__in=[])
        for subtree in ranges:
            tops |= Q(tree_id=subtree.tree_id, lft=subtree.lft)
    roots = []
    for top in _tree_nodes(scoped_organisations(request).filter(tops)):
        page = _tree_page(request, top) if top.reseller_count else None
        roots.append(TreeNode(top, page.nodes if page else [], page))
    return render(request, "customers/tree.html", {"roots": roots})


@login_required
def customer_tree_children(request, pk: int):
    """A page of the resellers directly below one, for the tree's opened branch or its "Show
    more" (an htmx partial)."""
    parent = visible_or_404(request, Organisation.objects.all(), pk=pk)
    page = _tree_page(request, parent, request.GET.get("after"))
    return render(request, "customers/_tree_children.html", {"page": page})
