"""The portal's URLs plus the benchmark's baselines (benchmark-only, see settings.py)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import include, path

from customers.models import Domain, Organisation, User


def _four_indexed_queries(request) -> dict:
    """Four primary-key or foreign-key lookups, what any page of the portal needs at least."""
    organisation_id = request.user.organisation_id
    return {
        "organisation": Organisation.objects.filter(pk=organisation_id).values("name").first(),
        "domain": Domain.objects.filter(organisation_id=organisation_id, is_primary=True)
        .values("name")
        .first(),
        "me": User.objects.filter(pk=request.user.pk).values("upn").first(),
        "child": Organisation.objects.filter(parent_id=organisation_id).values("name").first(),
    }


@login_required
def bare(request):
    """The baseline: the portal's middleware and session, four indexed queries, no template."""
    found = _four_indexed_queries(request)
    return HttpResponse(f"<!doctype html><title>bare</title><p>{found['organisation']}</p>")


@login_required
def layout(request):
    """The same, rendered in the portal's layout with its context processors."""
    return render(request, "bench_layout.html", {"found": _four_indexed_queries(request)})


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/layout/", layout),
    path("", include("portal.urls")),
]
