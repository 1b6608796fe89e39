"""Catalogue pages (provider admins) and the services of a customer (its reseller or provider).

Objects are fetched through the scoping API: a foreign customer or subscription is a 404;
what is visible but not allowed is a 403. Views parse input, call one service, render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.scoping import has_permission
from core.views import run_action, visible_or_404
from customers.actions import assignments, catalogue
from customers.actions.limits import subscription_usage, subscriptions_with_usage
from customers.forms.catalogue import (
    ChangePlanForm,
    DeprovisionForm,
    PlanForm,
    ProvisionForm,
    ServiceForm,
    ServiceRoleForm,
    UsersForm,
)
from customers.models import CustomerService, Organisation, Plan, Service, User


def _catalogue_user(request) -> None:
    if not catalogue.may_manage_catalogue(request.user):
        raise PermissionDenied


# --- The catalogue ----------------------------------------------------------------------------


@login_required
def service_list(request):
    _catalogue_user(request)
    services = Service.objects.annotate(
        plan_count=Count("plans", distinct=True), customers=Count("subscriptions", distinct=True)
    )
    return render(request, "catalogue/service_list.html", {"services": services})


@login_required
def service_edit(request, pk: int | None = None):
    _catalogue_user(request)
    service = get_object_or_404(Service, pk=pk) if pk else None
    form = ServiceForm(request.POST or None, instance=service)
    return run_action(
        request,
        lambda: catalogue.save_service(actor=request.user, service=form.instance),
        form=form,
        success=lambda saved: f"Saved {saved.name}.",
        redirect_to=lambda saved: reverse("catalogue:service_detail", args=[saved.pk]),
    ) or render(request, "catalogue/service_form.html", {"form": form, "service": service})


@login_required
def service_detail(request, pk: int):
    _catalogue_user(request)
    service = get_object_or_404(Service, pk=pk)
    context = {
        "service": service,
        "plans": service.plans.annotate(customers=Count("subscriptions")),
        "roles": service.roles.prefetch_related("permissions"),
        "subscriptions": service.subscriptions.select_related("organisation", "plan")[:200],
    }
    return render(request, "catalogue/service_detail.html", context)


@login_required
def plan_edit(request, service_pk: int | None = None, pk: int | None = None):
    _catalogue_user(request)
    plan = get_object_or_404(Plan.objects.select_related("service"), pk=pk) if pk else None
    service = plan.service if plan else get_object_or_404(Service, pk=service_pk)
    form = PlanForm(request.POST or None, instance=plan or Plan(service=service))
    return run_action(
        request,
        lambda: catalogue.save_plan(actor=request.user, plan=form.instance),
        form=form,
        success=lambda saved: f"Saved the plan {form.instance.name}.",
        redirect_to=reverse("catalogue:service_detail", args=[service.pk]),
    ) or render(
        request, "catalogue/plan_form.html", {"form": form, "service": service, "plan": plan}
    )


@login_required
def role_create(request, pk: int):
    _catalogue_user(request)
    service = get_object_or_404(Service, pk=pk)
    form = ServiceRoleForm(request.POST or None)
    return run_action(
        request,
        lambda: catalogue.add_service_role(
            actor=request.user, service=service, **form.cleaned_data
        ),
        form=form,
        success=lambda role: f"Added the role {form.cleaned_data['name']}.",
        redirect_to=reverse("catalogue:service_detail", args=[service.pk]),
    ) or render(request, "catalogue/role_form.html", {"form": form, "service": service})


# --- A customer's services ------------------------------------------------------------------


def _safe_next(request) -> str:
    """Where "Continue" goes (the customer wizard passes its next step); local URLs only."""
    target = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


@login_required
def customer_services(request, organisation: int):
    """A customer's services with used / allowed seats; provisioning for the level above.

    The customer wizard's "provision services" step links here.
    """
    organisation = visible_or_404(
        request,
        Organisation.objects.select_related("parent"),
        pk=organisation,
    )
    may_manage = catalogue.may_manage_services_of(request.user, organisation)
    form = ProvisionForm(request.POST or None, organisation=organisation) if may_manage else None
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        done = run_action(
            request,
            lambda: catalogue.provision_service(
                actor=request.user, organisation=organisation, **form.cleaned_data
            ),
            form=form,
            success=_provisioned,
            redirect_to=reverse("catalogue:customer_services", args=[organisation.pk]),
        )
        if done:
            return done
    context = {
        "organisation": organisation,
        "rows": subscriptions_with_usage(organisation.services.all()),
        "form": form,
        "may_manage": may_manage,
        "next": _safe_next(request),
    }
    return render(request, "catalogue/customer_services.html", context)


def _provisioned(result) -> str:
    subscription, job = result
    note = " A job is creating it in the directory." if job else ""
    return f"{subscription.service.name} provisioned.{note}"


def _subscription(request, pk: int) -> CustomerService:
    return visible_or_404(
        request,
        CustomerService.objects.select_related(
            "service", "plan", "organisation", "organisation__parent"
        ),
        pk=pk,
    )


@login_required
def subscription_detail(request, pk: int):
    """The service page: seats, who has it, give it to many users at once."""
    subscription = _subscription(request, pk)
    organisation = subscription.organisation
    may_assign = has_permission(request.user, "assign_services", organisation)
    holders = User.objects.filter(services__subscription=subscription).order_by("username")
    page = Paginator(holders, 100).get_page(request.GET.get("page"))
    others = None
    if may_assign:
        term = request.GET.get("q", "").strip()
        others = organisation.users.exclude(services__subscription=subscription)
        if term:
            others = others.filter(Q(username__icontains=term) | Q(display_name__icontains=term))
        others = others.order_by("username")[:200]
    context = {
        "subscription": subscription,
        "organisation": organisation,
        "usage": subscription_usage(subscription),
        "page": page,
        "others": others,
        "may_assign": may_assign,
        "may_manage": catalogue.may_manage_services_of(request.user, organisation),
        "q": request.GET.get("q", ""),
    }
    return render(request, "catalogue/subscription_detail.html", context)


def _users_post(request, subscription: CustomerService, *, give: bool):
    if not has_permission(request.user, "assign_services", subscription.organisation):
        raise PermissionDenied
    form = UsersForm(request.POST, queryset=subscription.organisation.users.all())
    if not form.is_valid():
        messages.error(request, _("Choose at least one user of this customer."))
        return redirect("catalogue:subscription_detail", subscription.pk)
    users = list(form.cleaned_data["users"])
    change = assignments.give_service if give else assignments.take_service
    verb = "given to" if give else "taken from"
    return run_action(
        request,
        lambda: change(actor=request.user, subscription=subscription, users=users),
        success=_("%(name)s %(verb)s %(len)s users.")
        % {"name": subscription.service.name, "verb": verb, "len": len(users)},
        redirect_to=reverse("catalogue:subscription_detail", args=[subscription.pk]),
    )


@login_required
@require_POST
def subscription_give(request, pk: int):
    return _users_post(request, _subscription(request, pk), give=True)


@login_required
@require_POST
def subscription_take(request, pk: int):
    return _users_post(request, _subscription(request, pk), give=False)


@login_required
def subscription_plan(request, pk: int):
    subscription = _subscription(request, pk)
    if not catalogue.may_manage_services_of(request.user, subscription.organisation):
        raise PermissionDenied
    initial = {"plan": subscription.plan_id, "user_limit": subscription.user_limit}
    form = ChangePlanForm(request.POST or None, subscription=subscription, initial=initial)
    return run_action(
        request,
        lambda: catalogue.change_plan(
            actor=request.user, subscription=subscription, **form.cleaned_data
        ),
        form=form,
        success=_("Plan changed."),
        redirect_to=reverse("catalogue:subscription_detail", args=[subscription.pk]),
    ) or render(request, "catalogue/change_plan.html", {"form": form, "subscription": subscription})


@login_required
def subscription_deprovision(request, pk: int):
    subscription = _subscription(request, pk)
    organisation = subscription.organisation
    if not catalogue.may_manage_services_of(request.user, organisation):
        raise PermissionDenied
    form = DeprovisionForm(request.POST or None)
    holders = subscription.assignments.count()
    return run_action(
        request,
        lambda: catalogue.deprovision_service(
            actor=request.user, subscription=subscription, confirm=form.cleaned_data["confirm"]
        ),
        form=form,
        success=_("%(name)s is being removed.") % {"name": subscription.service.name},
        redirect_to=reverse("catalogue:customer_services", args=[organisation.pk]),
    ) or render(
        request,
        "catalogue/deprovision.html",
        {"form": form, "subscription": subscription, "holders": holders},
    )
