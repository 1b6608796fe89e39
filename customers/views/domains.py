"""Domains: add and remove aliases; the primary domain changes only to an alias."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.views import require, run_action, visible_or_404
from customers.actions.domains import add_alias, make_primary, remove_alias
from customers.actions.organisations import apply_organisation_edit
from customers.actions.verification import check_domain, may_verify_by_hand, verify_by_hand
from customers.forms import DomainForm
from customers.models import Domain, Organisation
from customers.views.common import page_context


def _domain(request, organisation, domain_pk: int) -> Domain:
    return visible_or_404(
        request,
        Domain.objects.filter(organisation=organisation),
        pk=domain_pk,
    )


def _changing(request, pk: int, domain_pk: int) -> tuple[Organisation, Domain]:
    """The customer and its domain, for someone who may change the customer (else a 403)."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    domain = _domain(request, organisation, domain_pk)
    require(request, "change_organisation", organisation)
    return organisation, domain


def _applied(request, organisation) -> None:
    """Domains are UPN suffixes in AD: a provisioned customer's change is applied by a job."""
    if apply_organisation_edit(actor=request.user, organisation=organisation):
        messages.info(request, _("An update job applies the change to Active Directory."))


@login_required
def domain_list(request, pk: int):
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    context = page_context(request, organisation, "domains")
    form = None
    if context["may"]["edit"]:
        form = DomainForm(request.POST or None, organisation=organisation)
    elif request.method == "POST":
        require(request, "change_organisation", organisation)
    response = form is not None and run_action(
        request,
        lambda: add_alias(
            actor=request.user, organisation=organisation, name=form.cleaned_data["name"]
        ),
        form=form,
        success=lambda domain: f"{domain.name} added.",
        then=lambda _done: _applied(request, organisation),
        redirect_to=reverse("customers:domains", args=[pk]),
    )
    if response:
        return response
    domains = list(organisation.domains.select_related("verified_by"))
    context.update(
        {
            "domains": domains,
            "pending": [d for d in domains if not d.is_verified],
            "form": form,
            "may_verify_by_hand": bool(domains) and may_verify_by_hand(request.user, domains[0]),
        }
    )
    return render(request, "customers/domains.html", context)


@login_required
def domain_remove(request, pk: int, domain_pk: int):
    """GET asks for confirmation; POST removes the alias."""
    organisation, domain = _changing(request, pk, domain_pk)
    response = run_action(
        request,
        lambda: remove_alias(actor=request.user, domain=domain),
        success=_("%(name)s removed.") % {"name": domain.name},
        then=lambda _done: _applied(request, organisation),
        redirect_to=reverse("customers:domains", args=[pk]),
    )
    if response:
        return response
    context = page_context(request, organisation, "domains")
    context["domain"] = domain
    return render(request, "customers/domain_remove.html", context)


@login_required
@require_POST
def domain_make_primary(request, pk: int, domain_pk: int):
    organisation, domain = _changing(request, pk, domain_pk)
    make_primary(actor=request.user, domain=domain)
    messages.success(request, _("%(name)s is now the primary domain.") % {"name": domain.name})
    _applied(request, organisation)
    return redirect("customers:domains", pk=pk)


@login_required
@require_POST
def domain_check(request, pk: int, domain_pk: int):
    """Check now: look for the domain's TXT record at once (the schedule also does)."""
    _organisation, domain = _changing(request, pk, domain_pk)
    if check_domain(actor=request.user, domain=domain):
        messages.success(request, _("%(name)s is verified.") % {"name": domain.name})
    else:
        messages.warning(request, domain.last_check_result)
    return redirect("customers:domains", pk=pk)


@login_required
@require_POST
def domain_verify(request, pk: int, domain_pk: int):
    """A provider administrator verifies a domain by hand (recorded in the history)."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    domain = _domain(request, organisation, domain_pk)
    if not may_verify_by_hand(request.user, domain):
        raise PermissionDenied
    verify_by_hand(actor=request.user, domain=domain)
    messages.success(request, _("%(name)s is verified by hand.") % {"name": domain.name})
    return redirect("customers:domains", pk=pk)
