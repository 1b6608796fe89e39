"""The New Customer wizard after the customer itself: administrator, services, summary.

Each step is one atomic service call; leaving the wizard half-way leaves a consistent
customer behind (a customer without an administrator is allowed: the wizard can be left).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from core.models import Job
from core.scoping import decider, has_permission
from core.views import form_errors_from, require, visible_or_404
from customers.actions.catalogue import may_manage_services_of, offered_plans
from customers.actions.customers import administrator_role
from customers.actions.users import create_user
from customers.forms import AdministratorForm
from customers.models import Organisation, Status

STEPS = [
    ("customer", "Customer"),
    ("admin", "Administrator"),
    ("services", "Services"),
    ("summary", "Summary"),
]


def _context(organisation, step, **extra):
    return {"organisation": organisation, "step": step, "steps": STEPS, **extra}


@login_required
def wizard_admin(request, pk: int):
    """Create the administrator: UPN, Username, names, Password twice, email; or the
    Create Local Admin with a Cloned Admin Role."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    require(request, "add_users", organisation)
    if organisation.status == Status.DELETED:
        raise PermissionDenied
    if request.method == "POST" and "skip" in request.POST:
        return redirect("customers:wizard_services", pk=pk)
    kwargs = {"organisation": organisation, "actor": request.user}
    form = AdministratorForm(request.POST or None, **kwargs)
    form.fields["cloned_admin_role"].widget.attrs.update(
        {
            "hx-post": request.path,
            "hx-trigger": "change",
            "hx-vals": '{"preview": "1"}',
            "hx-select": "#id_default_admin_role",
            "hx-target": "#id_default_admin_role",
            "hx-swap": "outerHTML",
        }
    )
    # "preview" is htmx asking for the Default Admin Role of the chosen Cloned Admin Role;
    # it swaps in only that field, so nothing is validated or saved.
    if request.method == "POST" and "preview" not in request.POST and form.is_valid():
        try:
            fields = form.service_kwargs()
            with transaction.atomic():
                role = administrator_role(
                    actor=request.user,
                    organisation=organisation,
                    cloned_from=fields.pop("cloned_from"),
                )
                user, jobs = create_user(
                    actor=request.user,
                    organisation=organisation,
                    is_admin=True,
                    role=role,
                    **fields,
                )
            job = jobs[0] if jobs else None
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            note = " Its directory account is being created." if job else ""
            messages.success(
                request,
                _("Administrator %(username)s (%(upn)s) created.%(note)s")
                % {"username": user.username, "upn": user.upn, "note": note},
            )
            return redirect("customers:wizard_services", pk=pk)
    return render(
        request, "customers/wizard/administrator.html", _context(organisation, "admin", form=form)
    )


@login_required
def wizard_services(request, pk: int):
    """Provision services to the new customer: optional. Shows what may be given and links to
    the customer's services page, which comes back to the summary with its Continue button."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    if not has_permission(request.user, "manage_services", decider(organisation)):
        raise PermissionDenied
    services_url = reverse("catalogue:customer_services", args=[organisation.pk])
    next_url = reverse("customers:wizard_summary", args=[organisation.pk])
    return render(
        request,
        "customers/wizard/services.html",
        _context(
            organisation,
            "services",
            plans=list(offered_plans(organisation).order_by("service__name", "name")),
            may_manage=may_manage_services_of(request.user, organisation),
            services_link=f"{services_url}?{urlencode({'next': next_url})}",
        ),
    )


@login_required
def wizard_summary(request, pk: int):
    """What was created: the customer, its domains, administrators and jobs."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    administrators = organisation.users.filter(is_admin=True).order_by("date_joined")
    jobs = []
    if has_permission(request.user, "view_jobs", organisation):
        jobs = Job.objects.restrict(request.user, "view").filter(organisation=organisation)[:10]
    return render(
        request,
        "customers/wizard/summary.html",
        _context(
            organisation,
            "summary",
            domains=list(organisation.domains.all()),
            administrators=list(administrators),
            jobs=list(jobs),
        ),
    )
