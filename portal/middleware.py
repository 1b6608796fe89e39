"""Per-request security and context for the portal."""

from __future__ import annotations

from django.contrib.auth import logout
from django.shortcuts import redirect

from customers.actions.lifecycle import may_sign_in
from customers.models import Organisation

ACTING_SESSION_KEY = "acting_organisation"


class EndDisabledSessionsMiddleware:
    """End the session of a user who was disabled, or whose organisation was suspended.

    Django's ModelBackend already refuses inactive users at login; this ends sessions that
    were open when the change happened, on their very next request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_superuser and not may_sign_in(user):
            logout(request)
            return redirect("login")
        return self.get_response(request)


class ActingOrganisationMiddleware:
    """The organisation the user is acting inside (VOSS's "choose the hierarchy").

    A provider or reseller admin may switch into any organisation they can see; lists and
    create forms then work inside that subtree. The choice lives in the session and is
    re-checked against the user's scope on every request, so a revoked grant ends it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.acting_organisation = None
        user = request.user
        if user.is_authenticated:
            chosen = request.session.get(ACTING_SESSION_KEY)
            home = user.organisation
            if chosen and chosen != getattr(home, "pk", None):
                request.acting_organisation = (
                    Organisation.objects.restrict(user, "view").filter(pk=chosen).first()
                )
                if request.acting_organisation is None:
                    request.session.pop(ACTING_SESSION_KEY, None)
            if request.acting_organisation is None:
                request.acting_organisation = home
        return self.get_response(request)
