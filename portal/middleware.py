"""Per-request security and context for the portal."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http.request import split_domain_port, validate_host
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from core import tracing
from core.request_address import reset_client_address, set_client_address
from customers.actions.acting import end_acting, may_act_as
from customers.actions.lifecycle import may_sign_in
from customers.actions.sessions import SESSION_ROW_KEY, confirm_session
from customers.actions.two_factor import has_two_factor, must_use_two_factor
from customers.models import Organisation, PortalHost, User
from customers.views.acting import (
    ACTING_AS_SESSION_KEY,
    ACTING_REFUSED,
    ACTING_REFUSED_ON_TARGET,
    stop_acting_session,
)
from customers.views.two_factor import STATE_SESSION_KEY as TWO_FACTOR_SESSION_KEY
from portal.throttling import client_ip

ACTING_SESSION_KEY = "acting_organisation"


class RequestIdMiddleware:
    """Give every request an id: on its log lines, on the jobs it asks for, in the
    ``X-Request-ID`` response header, and as the 500 page's reference.

    The id from the reverse proxy's ``REQUEST_ID_HEADER`` is taken when that setting names
    one and the value looks like an id; otherwise (the default) a new one is made, because a
    client could send anything in any header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = (
            request.headers.get(settings.REQUEST_ID_HEADER) if settings.REQUEST_ID_HEADER else None
        )
        request.request_id = given if tracing.acceptable_request_id(given) else None
        request.request_id = request.request_id or tracing.new_request_id()
        request_token = tracing.request_id.set(request.request_id)
        user_token = tracing.user_id.set(None)
        try:
            response = self.get_response(request)
        finally:
            tracing.user_id.reset(user_token)
            tracing.request_id.reset(request_token)
        response["X-Request-ID"] = request.request_id
        return response


def request_language(request) -> str:
    """The language of this request, first that says (README "Languages"):

    1. the signed-in user's own choice (their Language, on *My language* or set by an admin);
    2. their organisation's Default language, or the nearest ancestor's that has one;
    3. the browser: the language picked on the sign-in page (a cookie), then Accept-Language;
    4. ``LANGUAGE_CODE``.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        chosen = user.effective_language()
        if chosen and chosen in dict(settings.LANGUAGES):
            return chosen
    return translation.get_language_from_request(request)


class LanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (Content-Language, Vary: Accept-Language) with Canopy's order
    of precedence; after authentication, because the first two steps are the user's. The
    organisation and its ancestors are the ones the request loads anyway (the session's user
    comes with its organisation; the breadcrumb reads the same ancestor list)."""

    def process_request(self, request):
        translation.activate(request_language(request))
        request.LANGUAGE_CODE = translation.get_language()


class LogUserMiddleware:
    """Put the signed-in user's id on the request's log lines (after authentication)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        tracing.user_id.set(user.pk if user.is_authenticated else None)
        return self.get_response(request)


def _confine(request, target: str, allowed: tuple[str, ...]):
    """Send the request to ``target`` unless it is for one of ``allowed`` (URL names) or a
    static file; None when it may go on."""
    if request.path in {reverse(name) for name in allowed} or request.path.startswith(
        settings.STATIC_URL
    ):
        return None
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(target)
    return redirect(target)


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


class ClientAddressMiddleware:
    """Keep the client's address (as the sign-in throttle takes it) for the length of the
    request, so the security log records where an action came from."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_client_address(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            reset_client_address(token)


class EndEndedSessionsMiddleware:
    """Sign out a session that its owner or an administrator ended (its ``UserSession`` row
    is gone), and keep ``last_seen`` of the others (written at most once a minute).

    The session store cannot be searched by user, so ending a session deletes only the
    row; this check, one query by primary key, ends the session itself on its next request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and request.session.session_key:
            row = confirm_session(
                user=request.user,
                row_id=request.session.get(SESSION_ROW_KEY),
                session_key=request.session.session_key,
                ip_address=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
            if row is None:
                logout(request)
                return redirect("login")
            request.session_row = row
            if request.session.get(SESSION_ROW_KEY) != row.pk:
                request.session[SESSION_ROW_KEY] = row.pk
        return self.get_response(request)


def password_change_url(user) -> str:
    """The page where ``user`` changes their own password (the navigation's link)."""
    return reverse("users:my_password" if user.organisation_id else "password_change")


class MustChangePasswordMiddleware:
    """A user who must change their password may do that, sign out, and nothing else.

    An administrator's reset (or an import) can set ``must_change_password``: the password
    was chosen or seen by someone else, so until its owner replaces it the session opens no
    page but the password change. Static files stay reachable so that page renders.
    """

    ALLOWED = ("users:my_password", "password_change", "password_change_done", "logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.must_change_password:
            # The two-factor pages come first (TwoFactorMiddleware): let them through.
            allowed = (*self.ALLOWED, *TwoFactorMiddleware.VERIFY, *TwoFactorMiddleware.ENROL)
            refused = _confine(request, password_change_url(user), allowed)
            if refused is not None:
                return refused
        return self.get_response(request)


def remember_two_factor(request, user) -> dict[str, bool]:
    """Whether ``user`` must use two-factor sign-in and has an app, kept in the session.

    Worked out at sign-in (the ``user_logged_in`` signal), so the pages after it pay no query
    for it: a requirement switched on takes hold at each person's next sign-in. A reset by an
    administrator takes hold at once: the session's verified device is gone, and the code
    page works this out again.
    """
    state = {"required": must_use_two_factor(user), "enrolled": has_two_factor(user)}
    request.session[TWO_FACTOR_SESSION_KEY] = state
    return state


def remember_two_factor_at_sign_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        remember_two_factor(request, user)


class TwoFactorMiddleware:
    """After the password, the code: nothing opens until the session has given one.

    A user with an authenticator app may open the code page and sign out; a user who must use
    two-factor sign-in and has no app yet may open the enrolment page and sign out. Static
    files stay reachable so those pages render. Needs django-otp's OTPMiddleware before it.
    """

    VERIFY = ("two_factor_verify", "logout")
    ENROL = ("users:my_two_factor_enrol", "logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            state = request.session.get(TWO_FACTOR_SESSION_KEY)
            if state is None:
                state = remember_two_factor(request, user)
            refused = None
            if state.get("enrolled") and not user.is_verified():
                target = reverse("two_factor_verify")
                if request.method == "GET" and not getattr(request, "htmx", False):
                    target = f"{target}?{urlencode({'next': request.get_full_path()})}"
                refused = _confine(request, target, self.VERIFY)
            elif state.get("required") and not state.get("enrolled"):
                refused = _confine(request, reverse("users:my_two_factor_enrol"), self.ENROL)
            if refused is not None:
                return refused
        return self.get_response(request)


class ActingOrganisationMiddleware:
    """The organisation the user is acting inside ("choose the hierarchy").

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


class ActingAsMiddleware:
    """Login to CP: serve the request as the customer's administrator the actor acts as.

    The actor's session stays the actor's (it was never signed out or in: no sign-in event,
    session row or last-login time for the target). While the session's entry is in time and
    ``may_act_as`` still holds, ``request.user`` is the target and ``request.acting_actor`` the
    actor, so every view, scope and action sees the target, and history names both. Runs
    after the actor's own two-factor and password checks, and before simple-history's.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.acting_actor = None
        state = (
            request.session.get(ACTING_AS_SESSION_KEY) if request.user.is_authenticated else None
        )
        if state:
            refused = self._act(request, state)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _act(self, request, state):
        actor = request.user
        target = User.objects.select_related("organisation").filter(pk=state.get("target")).first()
        expired = timezone.now() >= datetime.fromisoformat(state["until"])
        if target is None or expired or not may_act_as(actor, target):
            stop_acting_session(request)
            if target is not None:
                end_acting(actor=actor, target=target, expired=expired)
            messages.info(request, _("The Login to CP session has ended."))
            return None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
        name = match.view_name if match else ""
        if name == "logout":
            # Signing out signs the actor out: the acting session ends with it.
            stop_acting_session(request)
            end_acting(actor=actor, target=target)
            return None
        if name in ACTING_REFUSED:
            raise PermissionDenied(_("Not while you are logged in as another user."))
        if name in ACTING_REFUSED_ON_TARGET and str(target.pk) == str(match.kwargs.get("pk")):
            raise PermissionDenied(_("Not while you are logged in as this user."))
        # The actor gave their own code at sign-in; the target's devices are not asked.
        target.is_verified = lambda: True
        target.otp_device = None
        request.acting_actor = actor
        request.acting_until = datetime.fromisoformat(state["until"])
        request.user = target
        request.acting_organisation = target.organisation
        return None


class PortalHostMiddleware:
    """White-label host names: a request for a host a reseller registered (``PortalHost``)
    is accepted and carries ``request.portal_host``; every other host still goes through
    Django's own check against ``ALLOWED_HOSTS`` (an unknown host is a 400, never served).

    Must come before anything that asks the request for its host (SecurityMiddleware's
    redirect, CSRF's origin check).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.portal_host = None
        raw = request._get_raw_host()
        domain, _port = split_domain_port(raw)
        if domain and not validate_host(domain, settings.ALLOWED_HOSTS):
            host = (
                PortalHost.objects.select_related("organisation").filter(host_name=domain).first()
            )
            if host is not None:
                request.portal_host = host
                # Only this request, only this host: it is on the registered list.
                request.get_host = lambda: raw
        return self.get_response(request)
