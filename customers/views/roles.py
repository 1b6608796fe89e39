"""Roles: who holds which role on this customer; grant and revoke (customers.actions.roles)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.views import form_errors_from, require, visible_or_404
from customers.actions.roles import grant_role, revoke_role
from customers.forms import GrantForm
from customers.models import Organisation, RoleGrant
from customers.views.common import StaffNames, page_context


@login_required
def role_list(request, pk: int):
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    require(request, "view_users", organisation)
    context = page_context(request, organisation, "roles")
    form = None
    if context["may"]["grant"]:
        form = GrantForm(request.POST or None, organisation=organisation, actor=request.user)
    elif request.method == "POST":
        require(request, "grant_roles", organisation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            grant_role(
                actor=request.user, user=data["user"], organisation=organisation, role=data["role"]
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request,
                _("%(data)s now holds %(data2)s.") % {"data": data["user"], "data2": data["role"]},
            )
            return redirect("customers:roles", pk=pk)
    grants = (
        RoleGrant.objects.restrict(request.user, "view")
        .filter(organisation=organisation)
        .select_related("user", "role", "granted_by")
    )
    name_of = StaffNames(request.user)
    grants = list(grants)
    for grant in grants:
        # Staff of the organisations above the viewer's: "your provider", no name, no link.
        grant.holder_hidden = name_of.hides(grant.user)
        grant.holder_name = name_of(grant.user)
        grant.granted_by_name = name_of(grant.granted_by)
    context.update({"grants": grants, "form": form})
    return render(request, "customers/roles.html", context)


@login_required
@require_POST
def role_revoke(request, pk: int, grant_pk: int):
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    grant = visible_or_404(
        request,
        RoleGrant.objects.filter(organisation=organisation).select_related(
            "user", "role", "organisation"
        ),
        pk=grant_pk,
    )
    require(request, "grant_roles", organisation)
    revoke_role(actor=request.user, grant=grant)
    messages.success(
        request, _("%(role)s revoked from %(user)s.") % {"role": grant.role, "user": grant.user}
    )
    return redirect("customers:roles", pk=pk)
