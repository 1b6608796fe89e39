"""Manage: the customer's Summary, Users and Jobs tabs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from core.models import DriftReport, Job, QuarantinedObject, QuarantineState
from core.scoping import has_permission
from core.views import require, visible_or_404
from customers.actions.limits import subscriptions_with_usage, user_usage
from customers.models import Organisation, User
from customers.views.common import page_context

RECENT_JOBS = 5
JOBS_SHOWN = 100
USERS_PER_PAGE = 50


@login_required
def customer_detail(request, pk: int):
    """Summary: status, hierarchy path, contacts, domains, users and services with their
    used / allowed seats, recent jobs, whether a directory is connected, the latest drift
    report and what a repair set aside in quarantine (for a decision)."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    user = request.user
    path = [
        node
        for node in organisation.get_ancestors()
        if has_permission(user, "view_organisation", node)
    ]
    jobs, drift, quarantined = [], None, []
    if has_permission(user, "view_jobs", organisation):
        jobs = list(
            Job.objects.restrict(user, "view")
            .filter(organisation=organisation)
            .select_related("started_by")[:RECENT_JOBS]
        )
        drift = DriftReport.objects.filter(organisation=organisation).first()
        quarantined = list(
            QuarantinedObject.objects.filter(
                organisation=organisation,
                state__in=[QuarantineState.QUARANTINED, QuarantineState.DELETING],
            )
        )
    context = page_context(request, organisation, "summary")
    context.update(
        {
            "path": path,
            "contacts": list(organisation.contacts.all()),
            "domains": list(organisation.domains.all()),
            "user_usage": user_usage(organisation),
            "services": subscriptions_with_usage(organisation.services.all()),
            "descendant_count": organisation.get_descendant_count(),
            "tags": list(organisation.tags.all()),
            "org_branding": organisation.effective_branding(),
            "jobs": jobs,
            "drift": drift,
            "quarantined": quarantined,
            # Adopting creates a user; deleting an account for good deletes one (a group:
            # managing jobs). The person's own permissions, without a query per row.
            "may_adopt": has_permission(user, "add_users", organisation),
            "may_delete_accounts": has_permission(user, "delete_users", organisation),
            "may_delete_groups": has_permission(user, "manage_jobs", organisation),
            # Login to CP: the customer's administrators (the rule is checked on the POST).
            "login_to_cp_admins": (
                list(organisation.users.filter(is_admin=True, is_active=True, is_superuser=False))
                if context["may"]["login_to_cp"]
                else []
            ),
        }
    )
    return render(request, "customers/detail.html", context)


@login_required
def customer_jobs(request, pk: int):
    """The customer's jobs, newest first (each links to its job page)."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    require(request, "view_jobs", organisation)
    jobs = (
        Job.objects.restrict(request.user, "view")
        .filter(organisation=organisation)
        .select_related("started_by")[:JOBS_SHOWN]
    )
    context = page_context(request, organisation, "jobs")
    context["jobs"] = list(jobs)
    return render(request, "customers/jobs.html", context)


@login_required
def customer_users(request, pk: int):
    """The manuals' Users sub-tab: this customer's own users, each linking to its page."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    require(request, "view_users", organisation)
    people = User.objects.restrict(request.user, "view").filter(organisation=organisation)
    page = Paginator(people.order_by("username"), USERS_PER_PAGE).get_page(request.GET.get("page"))
    context = page_context(request, organisation, "users")
    context.update(
        {
            "page": page,
            "may_add": context["may"]["add_users"] and not organisation.is_provider,
            "usage": user_usage(organisation),
        }
    )
    return render(request, "customers/users.html", context)
