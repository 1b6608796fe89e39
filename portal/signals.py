"""Sign-in events into the security log and the user's list of sessions.

Django announces sign-ins, sign-outs and failed sign-ins with signals, and django-axes a
lock-out; these receivers are the only way to hear them. They add what only the request
knows (the client's address, as the throttle counts it, and the browser) and hand over to
``customers.actions.security_events`` and ``customers.actions.sessions``.
"""

from __future__ import annotations

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils.translation import gettext as _

from customers.actions import security_events, sessions
from customers.actions.sessions import SESSION_ROW_KEY
from customers.views.two_factor import STATE_SESSION_KEY as TWO_FACTOR_SESSION_KEY
from portal.auth import find_account
from portal.throttling import client_ip


def _user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")


def update_last_login_outside_history(sender, user, **kwargs) -> None:
    """Django's own last-login update (connected in PortalConfig.ready in its place), without
    a history row of the user per sign-in: the sign-in is in the security log, and the
    user's history is for changes to the account."""
    user.skip_history_when_saving = True
    try:
        update_last_login(sender, user, **kwargs)
    finally:
        del user.skip_history_when_saving


@receiver(user_logged_in, dispatch_uid="canopy_security_sign_in")
def signed_in(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    address = client_ip(request)
    session = getattr(request, "session", None)
    # The two-factor receiver (connected first, in PortalConfig.ready) has put its state in
    # the session: a sign-in with an app is only complete once the code is given.
    state = (session.get(TWO_FACTOR_SESSION_KEY) if session is not None else None) or {}
    detail = _("Password accepted; two-factor code required.") if state.get("enrolled") else ""
    security_events.record_sign_in(user=user, ip_address=address, detail=detail)
    if session is None:
        return
    if session.session_key is None:
        session.save()
    row = sessions.start_session(
        user=user,
        session_key=session.session_key,
        ip_address=address,
        user_agent=_user_agent(request),
    )
    session[SESSION_ROW_KEY] = row.pk


@receiver(user_logged_out, dispatch_uid="canopy_security_sign_out")
def signed_out(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    sessions.forget_session(row_id=session.get(SESSION_ROW_KEY), session_key=session.session_key)


@receiver(user_login_failed, dispatch_uid="canopy_security_sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # ``credentials`` has the password masked by Django; only the username is read.
    login = str((credentials or {}).get("username") or "")
    security_events.record_failed_sign_in(
        account=find_account(login),
        login=login,
        ip_address=client_ip(request) if request is not None else None,
    )


@receiver(user_locked_out, dispatch_uid="canopy_security_locked_out")
def locked_out(sender, request, username, ip_address, **kwargs) -> None:
    login = str(username or "")
    security_events.record_lockout(
        account=find_account(login),
        login=login,
        ip_address=ip_address,
        cool_off=settings.AXES_COOLOFF_TIME,
    )
