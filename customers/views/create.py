"""Create: quick create, the detailed form with advanced properties, and Create Similar."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.scoping import decider, has_permission, may_decide
from core.views import form_errors_from, visible_or_404
from customers.actions.customers import create_customer
from customers.actions.lifecycle import chain_to_provision, parent_ready
from customers.forms import OrganisationForm, QuickCreateForm
from customers.forms.organisation import eligible_parents
from customers.models import Organisation
from customers.models.organisation import SIMILAR_FIELDS

ALIAS_BUTTONS = ("alias_update", "alias_remove")


def _parents_or_403(request):
    parents = list(eligible_parents(request.user))
    if not parents:
        raise PermissionDenied
    acting = request.acting_organisation
    initial = next((p for p in parents if acting is not None and p.pk == acting.pk), parents[0])
    return parents, initial


def _queryset_of(parents: list[Organisation]):
    return Organisation.objects.filter(pk__in=[p.pk for p in parents]).order_by("tree_id", "lft")


def _may_provision(user, parent: Organisation | None) -> bool:
    return parent is not None and has_permission(user, "manage_lifecycle", parent)


def _parent_outside_directory(user, parent: Organisation | None) -> dict | None:
    """What the create form says before Save/Provision is pressed when the chosen parent is
    not in the directory yet: resellers are provisioned before their customers."""
    if parent is None or parent_ready(parent):
        return None
    chain = chain_to_provision(parent, user)
    return {
        "parent": parent,
        "chain": chain,
        "may_provision": bool(chain)
        and all(may_decide(user, node, "manage_lifecycle") for node in chain),
    }


def _finish(request, organisation, job):
    if job is not None:
        messages.success(
            request,
            _(
                "%(name)s was saved and its provisioning job is queued. "
                "Now create its administrator."
            )
            % {"name": organisation.name},
        )
    else:
        messages.success(
            request,
            _("%(name)s was saved as a draft. Now create its administrator.")
            % {"name": organisation.name},
        )
    return redirect("customers:wizard_admin", pk=organisation.pk)


def _unbound_copy(form: OrganisationForm, data, remove: int | None) -> dict:
    """The posted values as initial data, so the form re-renders without error messages
    (an Update or Remove click on the aliases is not a save)."""
    initial = {name: form[name].data for name in form.fields}
    aliases = list(initial.get("domain_aliases") or [])
    if remove is not None and 0 <= remove < len(aliases):
        aliases.pop(remove)
    initial["domain_aliases"] = aliases
    return initial


@login_required
def customer_create(request):
    """New Customer: Save keeps a draft, Save/Provision also starts provisioning."""
    parents, initial_parent = _parents_or_403(request)
    queryset = _queryset_of(parents)
    kwargs = {"actor": request.user, "parents": queryset, "initial_parent": initial_parent}
    if request.method == "POST":
        form = OrganisationForm(request.POST, **kwargs)
        if any(button in request.POST for button in ALIAS_BUTTONS):
            remove = request.POST.get("alias_remove", "")
            initial = _unbound_copy(form, request.POST, int(remove) if remove.isdigit() else None)
            form = OrganisationForm(initial=initial, **kwargs)
        elif form.is_valid():
            parent = form.cleaned_data["parent"]
            provision = "save_provision" in request.POST
            if provision and not _may_provision(request.user, parent):
                raise PermissionDenied
            try:
                organisation, job = create_customer(
                    actor=request.user, parent=parent, provision=provision, **form.service_kwargs()
                )
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                return _finish(request, organisation, job)
    else:
        form = OrganisationForm(**kwargs)
    return _render_form(request, form, title=_("New Customer"))


def _render_form(request, form, *, title, similar_to=None):
    return render(
        request,
        "customers/create.html",
        {
            "form": form,
            "title": title,
            "similar_to": similar_to,
            "may_provision": _may_provision(request.user, form.chosen_parent),
            "parent_outside": _parent_outside_directory(request.user, form.chosen_parent),
            "action": reverse("customers:create"),
        },
    )


def _chosen(form: QuickCreateForm, parents: list[Organisation]) -> Organisation | None:
    """The parent the quick create form shows as chosen (posted, or the initial one)."""
    wanted = str(form["parent"].value() or "")
    return next((p for p in parents if str(p.pk) == wanted), None)


# Quick create's own names for what the action calls otherwise: its one domain box.
QUICK_FIELDS = {"domains": "domain_name"}


def _on_quick_fields(error: ValidationError) -> ValidationError:
    """Errors keyed by the action's arguments, re-keyed to the fields quick create shows, so
    that a clash (a domain taken meanwhile) lands on a box the person can change."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {QUICK_FIELDS.get(field, field): problems for field, problems in error.error_dict.items()}
    )


@login_required
def customer_quick_create(request):
    """Quick create: name, email and domain; default roles; code generated."""
    parents, initial_parent = _parents_or_403(request)
    kwargs = {"parents": _queryset_of(parents), "initial_parent": initial_parent}
    form = QuickCreateForm(request.POST or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        provision = "save_provision" in request.POST
        if provision and not _may_provision(request.user, data["parent"]):
            raise PermissionDenied
        try:
            organisation, job = create_customer(
                actor=request.user,
                parent=data["parent"],
                name=data["name"],
                email=data["email"],
                domains=[data["domain_name"]],
                provision=provision,
            )
        except ValidationError as error:
            form_errors_from(form, _on_quick_fields(error))
        else:
            return _finish(request, organisation, job)
    return render(
        request,
        "customers/quick_create.html",
        {
            "form": form,
            "may_provision": _may_provision(request.user, initial_parent),
            "parent_outside": _parent_outside_directory(request.user, _chosen(form, parents)),
        },
    )


@login_required
def customer_create_similar(request, pk: int):
    """Create Similar: the New Customer form pre-filled with this one's settings."""
    source = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    if source.is_provider or not has_permission(request.user, "add_customer", decider(source)):
        raise PermissionDenied
    parents, initial_parent = _parents_or_403(request)
    parent = next((p for p in parents if p.pk == source.parent_id), initial_parent)
    initial = {field: getattr(source, field) for field in SIMILAR_FIELDS}
    initial["passwords_never_expire"] = source.password_max_age_days is None
    initial["tags_text"] = ", ".join(tag.name for tag in source.tags.all())
    initial["allowed_roles"] = [role.pk for role in source.allowed_roles.all()]
    initial["restricted_roles"] = [role.pk for role in source.restricted_roles.all()]
    form = OrganisationForm(
        initial=initial, actor=request.user, parents=_queryset_of(parents), initial_parent=parent
    )
    return _render_form(
        request,
        form,
        title=_("New Customer similar to %(name)s") % {"name": source.name},
        similar_to=source,
    )
