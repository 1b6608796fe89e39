"""Login to CP: start a session acting as a customer's administrator (in a new tab, from the
customer's page), and end it (the banner's End button).

What the session is, request by request, is ``portal.middleware.ActingAsMiddleware``; the
rule and the security log rows are ``customers.actions.acting``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.views import form_errors_from, require, visible_or_404
from customers.actions import acting
from customers.forms.acting import LoginToCpForm
from customers.models import Organisation, User
from customers.views.common import page_context

# Where a Login to CP session keeps whom it acts as, until when, and the customer it began
# from (the End button returns there).
ACTING_AS_SESSION_KEY = "canopy_acting_as"
# What nobody changes of the target's account while acting as them: their password, their
# two-factor sign-in, their sessions and API keys; and no second Login to CP from inside one.
ACTING_REFUSED = frozenset(
    {
        "password_change",
        "password_change_done",
        "users:my_password",
        "users:my_sessions",
        "users:end_my_session",
        "users:end_my_other_sessions",
        "users:my_two_factor",
        "users:my_two_factor_enrol",
        "users:my_recovery_codes",
        "users:my_two_factor_remove",
        "users:my_api_keys",
        "users:my_api_key_revoke",
        "customers:login_to_cp",
    }
)
# The administrators' pages that change these for someone: refused when they name the target.
ACTING_REFUSED_ON_TARGET = frozenset(
    {"users:reset_password", "users:end_sessions", "users:reset_two_factor", "users:delete"}
)


def start_acting_session(request, target: User, organisation: Organisation) -> None:
    """Remember in the actor's own session that it now acts as ``target`` (the action has
    recorded the start), for ``ACT_AS_MINUTES``."""
    until = timezone.now() + timedelta(minutes=settings.ACT_AS_MINUTES)
    request.session[ACTING_AS_SESSION_KEY] = {
        "target": target.pk,
        "until": until.isoformat(),
        "from": organisation.pk,
    }


def stop_acting_session(request) -> int | None:
    """Forget the Login to CP session; the pk of the customer it began from, if any."""
    state = request.session.pop(ACTING_AS_SESSION_KEY, None) or {}
    return state.get("from")


@login_required
def login_to_cp(request, pk: int):
    """The customer page's Login to CP (opens in a new tab): choose one of the customer's
    administrators, give a reason, and the portal opens as them."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    require(request, "change_users", organisation)
    candidates = acting.candidates(request.user, organisation)
    if not candidates:
        raise PermissionDenied(_("There is no administrator here you may log in as."))
    form = LoginToCpForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        try:
            acting.start_acting(
                actor=request.user, target=target, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            start_acting_session(request, target, organisation)
            return redirect("dashboard")
    context = page_context(request, organisation, "summary")
    context.update({"form": form, "minutes": settings.ACT_AS_MINUTES})
    return render(request, "customers/login_to_cp.html", context)


@require_POST
@login_required
def end_login_to_cp(request):
    """The banner's End: back to the actor's own portal, on the customer's page it began
    from."""
    actor = getattr(request, "acting_actor", None)
    if actor is None:
        return redirect("dashboard")
    target = request.user
    acting.end_acting(actor=actor, target=target)
    started_from = stop_acting_session(request)
    messages.success(request, _("You are no longer logged in as %(user)s.") % {"user": target})
    return redirect("customers:detail", started_from) if started_from else redirect("dashboard")
