"""The organisation picker: search-as-you-type over the organisations one may choose.

One view serves every picker that chooses an organisation among possibly 100,000: the
hierarchy switcher ("Choose the hierarchy", every organisation the user may act in), the
Customers list's Parent Reseller filter (resellers and the provider inside the acting
subtree) and the Jobs list's Organisation filter (organisations whose jobs one may see).
Each answer is one page of matches with each match's path (Provider / Reseller / Customer),
in a fixed number of queries: the matches, then all their ancestors at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from core.scoping import has_permission
from customers.models import Organisation, Status
from customers.models.organisation import CLOSED_STATES
from customers.views.common import scoped_organisations

# Enough to choose from while typing; the search narrows the rest.
PICKER_LIMIT = 20
MAX_TERM = 100
PURPOSES = ("context", "parent", "jobs", "move")


@dataclass(frozen=True)
class Choice:
    pk: int
    name: str
    code: str
    path: tuple[str, ...]


def picker_candidates(request, purpose: str):
    """What the picker may offer: the switcher offers everything the user may act in, the
    Parent Reseller filter the organisations that can have customers, inside the list, and
    the Jobs list's Organisation filter those whose jobs the user may see."""
    if purpose == "jobs":
        # Deleted organisations too: their jobs stay in the list.
        return Organisation.objects.holding(request.user, "view_jobs")
    if purpose == "move":
        # Where the user may put a customer: resellers (or the provider) they may create
        # customers in; move_organisation checks the rest.
        return (
            Organisation.objects.holding(request.user, "add_customer")
            .filter(Q(is_reseller=True) | Q(parent__isnull=True))
            .exclude(status__in=CLOSED_STATES)
        )
    if purpose == "parent":
        candidates = scoped_organisations(request).filter(
            Q(is_reseller=True) | Q(parent__isnull=True)
        )
    else:
        candidates = Organisation.objects.restrict(request.user, "view")
    return candidates.exclude(status=Status.DELETED)


def search_choices(request, purpose: str, term: str) -> tuple[list[Choice], bool]:
    """Up to PICKER_LIMIT matches of ``term`` (name or code) with their paths, and whether
    there are more. Two queries: the matches, then their visible ancestors."""
    candidates = picker_candidates(request, purpose)
    if term:
        # icontains compiles to UPPER(column) LIKE ..., served by the trigram indexes over
        # UPPER(name) and UPPER(code) (customers/models/indexes.py) on PostgreSQL.
        candidates = candidates.filter(Q(name__icontains=term) | Q(code__icontains=term))
    rows = list(
        candidates.only("pk", "name", "code", "parent_id").order_by("name", "pk")[
            : PICKER_LIMIT + 1
        ]
    )
    more = len(rows) > PICKER_LIMIT
    rows = rows[:PICKER_LIMIT]
    # Only the part of the path the user may see: a reseller does not see the provider.
    # Checked here against the scope already loaded: the same filter in SQL would have the
    # planner read the user's whole subtree to intersect it with a handful of ancestors.
    ancestors = {
        node.pk: node
        for node in Organisation.ancestors_of(rows)
        if has_permission(request.user, "view_organisation", node)
    }
    choices = []
    for row in rows:
        path: list[str] = []
        parent_id = row.parent_id
        while parent_id in ancestors:
            path.insert(0, ancestors[parent_id].name)
            parent_id = ancestors[parent_id].parent_id
        choices.append(Choice(row.pk, row.name, row.code, tuple(path)))
    return choices, more


RESET_LABELS = {
    "context": _("Back to my organisation"),
    "parent": _("Any parent"),
    "jobs": _("Any organisation"),
    "move": None,
}


@login_required
def organisation_choices(request, purpose: str):
    """The picker's list for what was typed so far (an htmx partial)."""
    if purpose not in PURPOSES:
        raise Http404
    term = request.GET.get("q", "").strip()[:MAX_TERM]
    choices, more = search_choices(request, purpose, term)
    context = {
        "choices": choices,
        "more": more,
        "term": term,
        "purpose": purpose,
        # The switcher can always go back home; the filter can always be cleared.
        "reset_label": RESET_LABELS[purpose],
    }
    # Rendered without the request: the context processors (navigation, branding) would
    # add queries to every keystroke and the list needs none of them.
    return HttpResponse(render_to_string("includes/org_picker_results.html", context))
