"""User pages: list, create, manage one user, bulk import, and the end user's own pages.

Every user is fetched through the scoping API (``User.objects.restrict``): a foreign user is
a 404, a visible one the viewer may not change is a 403. Views parse input, call one
service function, and render.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.counting import BoundedPaginator
from core.scoping import has_permission, within
from core.views import require, run_action, visible_or_404
from customers.actions import two_factor as two_factor_actions
from customers.actions import users as actions
from customers.actions.assignments import set_user_services
from customers.actions.joiners import SOON_DAYS
from customers.actions.limits import subscription_usage, user_usage
from customers.filters import UserFilter
from customers.forms.users import (
    LanguageForm,
    OwnPasswordForm,
    ResetPasswordForm,
    ServicesForm,
    UserCreateForm,
    UserEditForm,
    offered_subscriptions,
)
from customers.models import Organisation, User
from customers.views.history import user_history


def visible_user(request, pk: int) -> User:
    return visible_or_404(request, User.objects.select_related("organisation"), pk=pk)


PAGE_SIZE = 50


@login_required
def user_list(request):
    """Users inside the organisation the viewer acts in, with used / allowed for it; search,
    multi-select filters (status, service) and tick boxes for the bulk actions."""
    users = User.objects.restrict(request.user, "view").select_related("organisation")
    acting = request.acting_organisation
    if acting is not None:
        users = users.filter(within(acting, "organisation__"))
    filterset = UserFilter(request.GET or None, queryset=users)
    page = BoundedPaginator(filterset.qs.order_by("username"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    may_add = acting is not None and has_permission(request.user, "add_users", acting)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filter": filterset,
        "query": query.urlencode(),
        "acting": acting,
        "usage": user_usage(acting) if acting is not None and may_add else None,
        "may_add": may_add and not acting.is_provider,
        # The bulk "Give a service" offers what the service filter offers (read once).
        "services": filterset.form.fields["service"].widget.choices,
        # Who starts or leaves within SOON_DAYS is marked (joiners and leavers).
        "today": (today := timezone.localdate()),
        "soon_until": today + timedelta(days=SOON_DAYS),
    }
    return render(request, "users/user_list.html", context)


@login_required
def user_create(request, organisation: int):
    organisation = visible_or_404(
        request, Organisation.objects.select_related("parent"), pk=organisation
    )
    require(request, "add_users", organisation)
    may_make_admins = has_permission(request.user, "grant_roles", organisation)
    form = UserCreateForm(
        request.POST or None, organisation=organisation, may_make_admins=may_make_admins
    )
    response = run_action(
        request,
        lambda: _create_user(request, organisation, form.cleaned_data),
        form=form,
        success=_created,
        redirect_to=lambda created: reverse("users:detail", args=[created[0].pk]),
    )
    if response:
        return response
    context = {
        "form": form,
        "organisation": organisation,
        "usage": user_usage(organisation),
    }
    return render(request, "users/user_form.html", context)


def _create_user(request, organisation: Organisation, data: dict):
    return actions.create_user(
        actor=request.user,
        organisation=organisation,
        username=data["username"],
        upn=data["upn"],
        password=data["password"],
        first_name=data["first_name"],
        last_name=data["last_name"],
        display_name=data["display_name"],
        email=data["email"],
        must_change_password=data["must_change_password"],
        is_admin=data.get("is_admin", False),
        subscriptions=data["services"],
        starts_on=data.get("starts_on"),
        ends_on=data.get("ends_on"),
    )


def _created(created) -> str:
    person, jobs = created
    note = " A job is creating the directory account." if jobs else ""
    return _("Created %(username)s.%(note)s") % {"username": person.username, "note": note}


@login_required
def user_detail(request, pk: int):
    person = visible_user(request, pk)
    organisation = person.organisation
    me = request.user

    def may(codename: str) -> bool:
        return organisation is not None and has_permission(me, codename, organisation)

    held = {a.subscription_id for a in person.services.all()}
    services_form = None
    rows = []
    if organisation is not None:
        for subscription in offered_subscriptions(organisation):
            rows.append((subscription, subscription.pk in held, subscription_usage(subscription)))
        services_form = ServicesForm(organisation=organisation, initial={"services": sorted(held)})
    may_reset = actions.may_reset(me, person)
    context = {
        "person": person,
        "rows": rows,
        "services_form": services_form,
        "may": {
            "edit": actions.may_act_on(me, person, "change_users"),
            "reset": may_reset,
            "delete": actions.may_act_on(me, person, "delete_users") and me.pk != person.pk,
            "admin": actions.may_act_on(me, person, "grant_roles") and me.pk != person.pk,
            "end_sessions": actions.may_act_on(me, person, "change_users") and me.pk != person.pk,
            "services": may("assign_services"),
        },
        "two_factor": may_reset and two_factor_actions.has_two_factor(person),
        "jobs": person.directory_jobs.all()[:10] if may("view_jobs") else [],
        "history": user_history(person, me),
    }
    return render(request, "users/user_detail.html", context)


@login_required
def user_edit(request, pk: int):
    person = visible_user(request, pk)
    _require_may_act_on(request, person, "change_users")
    form = UserEditForm(request.POST or None, person=person)
    return run_action(
        request,
        lambda: actions.edit_user(actor=request.user, person=person, changes=form.changes()),
        form=form,
        success=_("Saved %(username)s.") % {"username": person.username},
        redirect_to=reverse("users:detail", args=[person.pk]),
    ) or render(request, "users/user_edit.html", {"form": form, "person": person})


def _require_may_act_on(request, person: User, codename: str) -> None:
    """403 unless the viewer holds ``codename`` and every permission ``person`` holds."""
    require(request, codename, person.organisation)
    if not actions.may_act_on(request.user, person, codename):
        raise PermissionDenied


def _action(request, pk: int, codename: str | None, done: str, run, **arguments):
    """A POST-only action on one user, ``run(actor=…, person=…, **arguments)``; refusals come
    back as messages."""
    person = visible_user(request, pk)
    if codename is not None:
        _require_may_act_on(request, person, codename)
    return run_action(
        request,
        lambda: run(actor=request.user, person=person, **arguments),
        success=done.format(person=person.username),
        redirect_to=reverse("users:detail", args=[person.pk]),
    )


@login_required
@require_POST
def user_disable(request, pk: int):
    return _action(
        request, pk, "change_users", _("Disabled {person}."), actions.set_enabled, enabled=False
    )


@login_required
@require_POST
def user_enable(request, pk: int):
    return _action(
        request, pk, "change_users", _("Enabled {person}."), actions.set_enabled, enabled=True
    )


@login_required
@require_POST
def user_unlock(request, pk: int):
    person = visible_user(request, pk)
    if not actions.may_reset(request.user, person):
        raise PermissionDenied
    return _action(request, pk, None, _("Unlocked {person}."), actions.unlock_user)


@login_required
@require_POST
def user_administrator(request, pk: int):
    make = request.POST.get("admin") == "1"
    done = (
        "{person} is now an administrator." if make else "{person} is no longer an administrator."
    )
    return _action(request, pk, "grant_roles", done, actions.set_administrator, admin=make)


@login_required
@require_POST
def user_services(request, pk: int):
    person = visible_user(request, pk)
    require(request, "assign_services", person.organisation)
    form = ServicesForm(request.POST, organisation=person.organisation, person=person)
    if not form.is_valid():
        messages.error(request, _("Choose services of this customer."))
        return redirect("users:detail", person.pk)
    return run_action(
        request,
        lambda: set_user_services(
            actor=request.user, user=person, subscriptions=form.cleaned_data["services"]
        ),
        success=_("Saved the services of %(username)s.") % {"username": person.username},
        redirect_to=reverse("users:detail", args=[person.pk]),
    )


@login_required
def user_reset_password(request, pk: int):
    """Help Desk may reset ordinary users; an administrator's reset needs more (403)."""
    person = visible_user(request, pk)
    if not actions.may_reset(request.user, person):
        raise PermissionDenied
    form = ResetPasswordForm(request.POST or None, person=person)
    return run_action(
        request,
        lambda: actions.reset_password(
            actor=request.user,
            person=person,
            password=form.cleaned_data["password"],
            must_change_password=form.cleaned_data["must_change_password"],
        ),
        form=form,
        success=_("Set a new password for %(username)s.") % {"username": person.username},
        redirect_to=reverse("users:detail", args=[person.pk]),
    ) or render(request, "users/reset_password.html", {"form": form, "person": person})


@login_required
@require_POST
def user_reset_two_factor(request, pk: int):
    """A lost phone: remove the user's app and recovery codes. Whoever may reset the user's
    password may do this (403 otherwise); the user sets up a new app at their next sign-in
    where it is required."""
    person = visible_user(request, pk)
    if not actions.may_reset(request.user, person):
        raise PermissionDenied
    return _action(
        request,
        pk,
        None,
        _("Removed the two-factor sign-in of {person}. They sign in with their password next."),
        two_factor_actions.reset_two_factor,
    )


@login_required
def user_delete(request, pk: int):
    person = visible_user(request, pk)
    _require_may_act_on(request, person, "delete_users")
    error = None
    if request.method == "POST":
        if request.POST.get("confirm") != person.username:
            error = "Type the username exactly to confirm."
        else:
            try:
                actions.delete_user(actor=request.user, person=person)
            except ValidationError as refused:
                error = " ".join(refused.messages)
            else:
                messages.success(
                    request, _("Deleted %(username)s.") % {"username": person.username}
                )
                return redirect("users:list")
    return render(request, "users/user_delete.html", {"person": person, "error": error})


# --- Self-service -----------------------------------------------------------------------


@login_required
def my_services(request):
    """An end user's own services (and, for anyone, their own account)."""
    held = request.user.services.select_related("subscription__service", "subscription__plan")
    return render(request, "users/my_services.html", {"held": held})


def _saved_in_new_language(request) -> str:
    """The confirmation in the language just chosen (this request began in the old one)."""
    translation.activate(request.user.effective_language() or translation.get_language())
    return _("Your language was saved.")


@login_required
def my_language(request):
    """One's own Language: it outranks the organisation's default and the browser's."""
    form = LanguageForm(request.POST or None, person=request.user)
    return run_action(
        request,
        lambda: actions.set_own_language(
            actor=request.user, language=form.cleaned_data["language"]
        ),
        form=form,
        success=lambda _result: _saved_in_new_language(request),
        redirect_to="users:my_language",
    ) or render(request, "users/my_language.html", {"form": form})


@login_required
def my_password(request):
    """Change one's own password: the portal's at once, the directory's through a job."""
    form = OwnPasswordForm(request.POST or None, person=request.user)

    def change() -> None:
        actions.change_own_password(
            person=request.user,
            old_password=form.cleaned_data["old_password"],
            new_password=form.cleaned_data["password"],
        )
        update_session_auth_hash(request, request.user)  # the session survives the change

    return run_action(
        request,
        change,
        form=form,
        success=_("Your password was changed."),
        redirect_to="users:my_services",
    ) or render(request, "users/my_password.html", {"form": form})
