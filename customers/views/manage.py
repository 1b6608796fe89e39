"""Manage: Edit, lifecycle actions (Provision, Suspend, Resume, Deprovision), Delete, Restore,
and Make reseller. Lifecycle actions are decided on the parent: nobody suspends their own
organisation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.scoping import decider, has_permission
from core.views import require, run_action, visible_or_404
from customers.actions.catalogue import give_reseller_service, may_manage_services_of
from customers.actions.customers import edit_customer
from customers.actions.lifecycle import (
    DEPENDENTS_NAMED,
    delete_organisation,
    dependents,
    deprovision_and_delete,
    deprovision_organisation,
    provision_organisation,
    provision_parent_chain,
    restore_organisation,
    resume_organisation,
    suspend_organisation,
)
from customers.actions.organisations import move_organisation
from customers.forms import DeleteForm, MoveForm, OrganisationEditForm
from customers.models import Organisation, Status
from customers.views.common import page_context
from customers.views.picker import picker_candidates


@login_required
def customer_edit(request, pk: int):
    """Edit Customer; Save/Provision on a draft also provisions it, and the edit of a
    provisioned customer is applied to the directory by an update job."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    require(request, "change_organisation", organisation)
    if organisation.status == Status.DELETED:
        raise PermissionDenied
    # The form edits its own copy: the service compares against the stored values.
    copy = Organisation.objects.get(pk=organisation.pk)
    form = OrganisationEditForm(request.POST or None, instance=copy, actor=request.user)
    context = page_context(request, organisation, "edit")
    may_provision = context["may"]["lifecycle"] and "provision" in context["actions"]
    provision = "save_provision" in request.POST
    if request.method == "POST" and form.is_valid() and provision and not may_provision:
        raise PermissionDenied
    context.update({"form": form, "may_provision": may_provision})
    return run_action(
        request,
        lambda: edit_customer(
            actor=request.user,
            organisation=organisation,
            provision=provision,
            **form.service_kwargs(),
        ),
        form=form,
        success=lambda job: _edit_saved(job, provision=provision),
        redirect_to=organisation,
    ) or render(request, "customers/edit.html", context)


def _edit_saved(job, *, provision: bool) -> str:
    if job is not None and provision:
        return _("Saved. The provisioning job is queued.")
    if job is not None:
        return _("Saved. An update job applies the change to Active Directory.")
    return "Saved."


@dataclass(frozen=True)
class Action:
    title: str
    button: str
    explanation: str
    service: Any
    done: str


ACTIONS = {
    "provision": Action(
        "Provision",
        "Provision",
        _(
            "Creates the customer's organisational unit, groups and password policy in Active "
            "Directory. A job does the work; its progress shows on the Jobs tab."
        ),
        provision_organisation,
        _("Provisioning is queued."),
    ),
    "suspend": Action(
        "Suspend",
        "Suspend",
        _("Disables the customer's accounts: its users cannot sign in until it is resumed."),
        suspend_organisation,
        _("The customer is suspended; a job disables its accounts."),
    ),
    "resume": Action(
        "Resume",
        "Resume",
        _("Enables the customer's accounts again."),
        resume_organisation,
        _("The customer is active again; a job enables its accounts."),
    ),
    "deprovision": Action(
        "Deprovision",
        "Deprovision",
        _(
            "Removes the customer's whole subtree from Active Directory. Its portal records stay "
            "until it is deleted."
        ),
        deprovision_organisation,
        _("Deprovisioning is under way."),
    ),
}


@login_required
def customer_lifecycle(request, pk: int, action: str):
    """GET: what the action does, and a button. POST: do it (refused with a message when the
    customer's state does not allow it: suspend before deprovision, and so on)."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    # The provider may be provisioned (by its own admins), nothing more.
    if (organisation.is_provider and action != "provision") or not has_permission(
        request.user, "manage_lifecycle", decider(organisation)
    ):
        raise PermissionDenied
    spec = ACTIONS[action]
    refusal = None
    if request.method == "POST":
        try:
            spec.service(actor=request.user, organisation=organisation)
        except ValidationError as error:
            if error.code != "dependents":
                messages.error(request, " ".join(error.messages))
                return redirect(organisation)
            refusal = " ".join(error.messages)  # shown with links to what must go first
        else:
            messages.success(request, spec.done)
            return redirect(organisation)
    context = page_context(request, organisation, "summary")
    context.update({"spec": spec, "action": action, "refusal": refusal})
    if action == "deprovision":
        context.update(dependents_context(request, organisation, Status.DEPROVISIONED))
    return render(request, "customers/confirm.html", context)


def dependents_context(request, organisation: Organisation, target: str) -> dict:
    """What stops a deprovision or delete, each linked to its page (the ones the viewer may
    see: everything below an organisation they may decide about)."""
    blocking = dependents(organisation, target)
    return {
        "dependents": list(blocking[:DEPENDENTS_NAMED]),
        "dependents_count": blocking.count(),
        "dependents_step": target,
    }


@login_required
def customer_delete(request, pk: int):
    """Delete is refused until the customer is deprovisioned, and asks for its code."""
    return _code_confirmed(
        request,
        pk,
        delete_organisation,
        "customers/delete.html",
        success=lambda organisation, _: (
            f"{organisation.name} is deleted. A provider "
            "administrator can restore it within the retention period."
        ),
        redirect_to=lambda organisation, _: "customers:list",
    )


@login_required
def customer_deprovision_delete(request, pk: int):
    """Deprovision and delete in one go: suspend (if active), deprovision, and delete when the
    deprovision job has succeeded; asks for the code like Delete."""
    return _code_confirmed(
        request,
        pk,
        deprovision_and_delete,
        "customers/deprovision_delete.html",
        success=lambda organisation, job: (
            (
                _(
                    "%(name)s is deleted. A provider administrator can restore it within "
                    "the retention period."
                )
                if job is None
                else _(
                    "%(name)s is being deprovisioned; it is deleted as soon as its "
                    "deprovision job succeeds (see the Jobs tab)."
                )
            )
            % {"name": organisation.name}
        ),
        redirect_to=lambda organisation, job: (
            "customers:list" if job is None else reverse("customers:jobs", args=[organisation.pk])
        ),
    )


def _code_confirmed(request, pk: int, service, template: str, *, success, redirect_to):
    """Delete and Deprovision and delete: a form that asks for the customer's code, what stops
    it, and ``service`` run with that code; ``success`` and ``redirect_to`` are functions of
    the customer and what the service returned."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    if organisation.is_provider or not has_permission(
        request.user, "manage_lifecycle", decider(organisation)
    ):
        raise PermissionDenied
    form = DeleteForm(request.POST or None, organisation=organisation)
    response = run_action(
        request,
        lambda: service(
            actor=request.user,
            organisation=organisation,
            confirm_code=form.cleaned_data["confirm_code"],
        ),
        form=form,
        success=lambda result: success(organisation, result),
        redirect_to=lambda result: redirect_to(organisation, result),
    )
    if response:
        return response
    context = page_context(request, organisation, "summary")
    context["form"] = form
    context.update(dependents_context(request, organisation, Status.DELETED))
    return render(request, template, context)


@login_required
@require_POST
def customer_provision_chain(request, pk: int):
    """Provision the parent chain: the create form's one click for a parent that is not in
    the directory yet. Queues its provisioning and its ancestors', from the top down."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    require(request, "manage_lifecycle", decider(organisation))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = organisation
    return run_action(
        request,
        lambda: provision_parent_chain(actor=request.user, organisation=organisation),
        success=lambda jobs: (
            _(
                "Provisioning of %(names)s is queued, in that order. Customers created below "
                "%(name)s can now be saved and provisioned."
            )
            % {
                "names": ", ".join(str(job.organisation.name) for job in jobs),
                "name": organisation.name,
            }
            if jobs
            else _("%(name)s is already in the directory or on its way.")
            % {"name": organisation.name}
        ),
        redirect_to=next_url,
    )


@login_required
def customer_restore(request, pk: int):
    """Provider admins bring back a deleted customer (as deprovisioned) within 30 days."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    require(request, "manage_catalogue", organisation)
    return _confirmed(request, organisation, "restore")


@login_required
def customer_make_reseller(request, pk: int):
    """A customer becomes a reseller: its admins may then create customers of their own."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    if organisation.is_provider or not may_manage_services_of(request.user, organisation):
        raise PermissionDenied
    return _confirmed(request, organisation, "make_reseller")


CONFIRMED = {
    "restore": Action(
        "Restore",
        "Restore",
        _("Brings the deleted customer back as deprovisioned; provision it to use it again."),
        restore_organisation,
        "{name} is restored (deprovisioned).",
    ),
    "make_reseller": Action(
        "Make reseller",
        "Make reseller",
        _(
            "The customer is given the Reseller service and becomes a reseller: its "
            "administrators receive the Reseller Admin role and may create customers and "
            "sub-resellers of their own, and see only that subtree."
        ),
        give_reseller_service,
        "{name} is now a reseller.",
    ),
}


def _confirmed(request, organisation: Organisation, action: str):
    """GET: the confirmation page of ``action`` (Restore, Make reseller); POST: do it and go
    back to the customer, with its refusal as a message."""
    spec = CONFIRMED[action]
    response = run_action(
        request,
        lambda: spec.service(actor=request.user, organisation=organisation),
        success=spec.done.format(name=organisation.name),
        redirect_to=organisation,
    )
    if response:
        return response
    context = page_context(request, organisation, "summary")
    context.update({"spec": spec, "action": action})
    return render(request, "customers/confirm.html", context)


@login_required
def customer_move(request, pk: int):
    """Move a customer (or a reseller, with everything below it) to another reseller: the
    manuals' move between resellers. Its OU follows by a job; nothing is re-created."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    context = page_context(request, organisation, "summary")
    if not context["may"]["move"]:
        raise PermissionDenied
    form = MoveForm(request.POST or None, candidates=picker_candidates(request, "move"))
    done = run_action(
        request,
        lambda: move_organisation(
            actor=request.user,
            organisation=organisation,
            new_parent=form.cleaned_data["new_parent"],
        ),
        form=form,
        success=lambda job: (
            (
                _("%(name)s is now below %(parent)s; its OU moves in the directory.")
                if job
                else _("%(name)s is now below %(parent)s.")
            )
            % {"name": organisation.name, "parent": form.cleaned_data["new_parent"].name}
        ),
        redirect_to=organisation,
    )
    if done:
        return done
    chosen = form["new_parent"].value()
    context.update(
        {
            "form": form,
            "chosen": picker_candidates(request, "move").filter(pk=chosen).first()
            if str(chosen or "").isdigit()
            else None,
        }
    )
    return render(request, "customers/move.html", context)
