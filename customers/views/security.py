"""Security log (a tab of every organisation's page, a provider's and a reseller's own
included) and sessions: one's own, and an administrator ending all of a user's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.views import require, visible_or_404
from customers.actions import sessions as session_actions
from customers.filters import SecurityEventFilter
from customers.models import Organisation, SecurityEvent, User
from customers.views.common import StaffNames, page_context

PAGE_SIZE = 50
SESSION_ROW_KEY = session_actions.SESSION_ROW_KEY


@login_required
def security_log(request, pk: int):
    """Sign-ins, failed sign-ins, lock-outs, password and role changes, two-factor changes
    and ended sessions of this organisation's people, newest first. Its administrators and
    those above read it (``grant_roles``); on the provider's page it also lists failed
    sign-ins for names that match no account."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    require(request, "grant_roles", organisation)
    events = SecurityEvent.objects.restrict(request.user, "view").filter(organisation=organisation)
    if organisation.is_provider:
        # Rows of no organisation (unknown names, deleted organisations): whoever may read
        # the provider's log, the root of everything, may read these.
        events |= SecurityEvent.objects.filter(organisation__isnull=True)
    events = events.select_related("actor", "subject")
    filtered = SecurityEventFilter(request.GET or None, queryset=events)
    page = Paginator(filtered.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    name_of = StaffNames(request.user)
    rows = [
        {
            "event": event,
            "actor": name_of(event.actor) if event.actor_id else "",
            "subject": name_of(event.subject, username=True) if event.subject_id else "",
        }
        for event in page
    ]
    context = page_context(request, organisation, "security")
    context.update(
        {
            "filter": filtered,
            "page": page,
            "rows": rows,
            "kind": filtered.form.cleaned_data.get("kind", "") if filtered.is_bound else "",
        }
    )
    return render(request, "customers/security_log.html", context)


@login_required
def my_sessions(request):
    """Where the user is signed in; they can end any other session, or all others."""
    current = getattr(request, "session_row", None)
    rows = list(session_actions.active_sessions(request.user))
    return render(
        request,
        "users/my_sessions.html",
        {"sessions": rows, "current_id": current.pk if current else None},
    )


@login_required
@require_POST
def end_my_session(request, pk: int):
    session = get_object_or_404(
        session_actions.active_sessions(request.user).exclude(
            pk=request.session.get(SESSION_ROW_KEY)
        ),
        pk=pk,
    )
    session_actions.end_session(actor=request.user, session=session)
    messages.success(request, _("The session was ended."))
    return redirect("users:my_sessions")


@login_required
@require_POST
def end_my_other_sessions(request):
    ended = session_actions.end_other_sessions(
        actor=request.user, keep_id=request.session.get(SESSION_ROW_KEY)
    )
    messages.success(
        request,
        ngettext(
            "%(count)d other session was ended.", "%(count)d other sessions were ended.", ended
        )
        % {"count": ended},
    )
    return redirect("users:my_sessions")


@login_required
@require_POST
def end_user_sessions(request, pk: int):
    """An administrator signs a user out everywhere (someone they may act on)."""
    person = visible_or_404(request, User.objects.select_related("organisation"), pk=pk)
    require(request, "change_users", person)
    ended = session_actions.end_all_sessions(actor=request.user, person=person)
    messages.success(
        request,
        ngettext(
            "%(count)d session of %(user)s was ended.",
            "%(count)d sessions of %(user)s were ended.",
            ended,
        )
        % {"count": ended, "user": person},
    )
    return redirect("users:detail", pk=pk)
