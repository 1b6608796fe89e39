"""Domains: add and remove aliases; the primary domain changes only to an alias."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.views import form_errors_from, require, visible_or_404
from customers.actions.domains import add_alias, make_primary, remove_alias
from customers.actions.organisations import apply_organisation_edit
from customers.forms import DomainForm
from customers.models import Domain, Organisation
from customers.views.common import page_context


def _domain(request, organisation, domain_pk: int) -> Domain:
    return visible_or_404(
        request,
        Domain.objects.filter(organisation=organisation),
        pk=domain_pk,
    )


def _applied(request, organisation) -> None:
    """Domains are UPN suffixes in AD: a provisioned customer's change is applied by a job."""
    if apply_organisation_edit(actor=request.user, organisation=organisation):
        messages.info(request, "An update job applies the change to Active Directory.")


@login_required
def domain_list(request, pk: int):
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    context = page_context(request, organisation, "domains")
    form = None
    if context["may"]["edit"]:
        form = DomainForm(request.POST or None)
    elif request.method == "POST":
        require(request, "change_organisation", organisation)
    if request.method == "POST" and form.is_valid():
        try:
            domain = add_alias(
                actor=request.user, organisation=organisation, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"{domain.name} added.")
            _applied(request, organisation)
            return redirect("customers:domains", pk=pk)
    context.update({"domains": list(organisation.domains.all()), "form": form})
    return render(request, "customers/domains.html", context)


@login_required
def domain_remove(request, pk: int, domain_pk: int):
    """GET asks for confirmation; POST removes the alias."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    domain = _domain(request, organisation, domain_pk)
    require(request, "change_organisation", organisation)
    if request.method == "POST":
        try:
            remove_alias(actor=request.user, domain=domain)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{domain.name} removed.")
            _applied(request, organisation)
        return redirect("customers:domains", pk=pk)
    context = page_context(request, organisation, "domains")
    context["domain"] = domain
    return render(request, "customers/domain_remove.html", context)


@login_required
@require_POST
def domain_make_primary(request, pk: int, domain_pk: int):
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    domain = _domain(request, organisation, domain_pk)
    require(request, "change_organisation", organisation)
    make_primary(actor=request.user, domain=domain)
    messages.success(request, f"{domain.name} is now the primary domain.")
    _applied(request, organisation)
    return redirect("customers:domains", pk=pk)
