"""What every view needs from the scoping API and the actions, in one place.

- ``visible_or_404``: fetch through ``restrict(user, "view")``, so what the viewer may not
  see is a 404, never a 403 that would tell them it exists;
- ``require``: visible but not allowed is a 403;
- ``form_errors_from``: an action's ValidationError lands on the field it concerns, and only
  what concerns no field of the form becomes a general error;
- ``run_action``: a POST that calls one action, says how it went and redirects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from core.scoping import organisation_of, require_permission


def visible_or_404(
    request: HttpRequest, queryset_or_model: models.QuerySet | type[models.Model], **lookup: Any
) -> models.Model:
    """The object ``lookup`` names among those the viewer may see, or a 404.

    Pass a queryset to add ``select_related`` or a filter (a contact of this organisation)."""
    queryset = (
        queryset_or_model
        if isinstance(queryset_or_model, models.QuerySet)
        else queryset_or_model._default_manager.all()
    )
    return get_object_or_404(queryset.restrict(request.user, "view"), **lookup)


def require(request_or_user: Any, action: str, obj: models.Model) -> None:
    """A 403 unless the user may do ``action`` (a model action such as ``"change"``, or an
    organisation permission such as ``"add_users"``) on ``obj``."""
    user = request_or_user.user if isinstance(request_or_user, HttpRequest) else request_or_user
    codename = type(obj).scope_permissions.get(action, action)
    require_permission(user, codename, organisation_of(obj))


def form_errors_from(form: forms.BaseForm, error: ValidationError) -> None:
    """Put an action's ValidationError on ``form``: each message keyed by a field of the form
    on that field, everything else as a general (non-field) error. A form whose field has
    another name than the model's maps it in ``error_fields`` (``{"upn": "upn_local"}``)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    general: list[ValidationError] = []
    aliases = getattr(form, "error_fields", {})
    for field, problems in error.error_dict.items():
        field = aliases.get(field, field)
        if field in form.fields and field != NON_FIELD_ERRORS:
            form.add_error(field, problems)
        else:
            general.extend(problems)
    if general:
        form.add_error(None, general)


def run_action(
    request: HttpRequest,
    action: Callable[[], Any],
    *,
    success: str | Callable[[Any], str],
    redirect_to: Any,
    form: forms.BaseForm | None = None,
    then: Callable[[Any], None] | None = None,
) -> HttpResponse | None:
    """Call ``action`` (an action with its arguments bound) for a POST whose ``form`` (if any)
    is valid; for a GET or an invalid form, None: the view renders its page.

    Done: ``success`` becomes a success message and the answer is a redirect to
    ``redirect_to`` (whatever ``redirect`` takes); either may be a function of what the action
    returned; ``then(result)`` runs after the success message (a note that follows it). Refused
    (ValidationError): with a ``form``, the error goes on it
    (``form_errors_from``) and the answer is None, so the view renders the form again; without
    one, the error becomes an error message and the answer is the same redirect."""
    if request.method != "POST" or (form is not None and not form.is_valid()):
        return None
    try:
        result = action()
    except ValidationError as error:
        if form is not None:
            form_errors_from(form, error)
            return None
        messages.error(request, " ".join(error.messages))
        return redirect(redirect_to(None) if callable(redirect_to) else redirect_to)
    messages.success(request, success(result) if callable(success) else success)
    if then is not None:
        then(result)
    return redirect(redirect_to(result) if callable(redirect_to) else redirect_to)
