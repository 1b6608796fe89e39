"""Two-factor sign-in under the user's own account: set it up, recovery codes, turn it off.

Every page here is the signed-in person's own: no other user's devices are reachable from
it. An administrator's reset of someone else's is on the user page (``users.user_reset_
two_factor``). The key of an enrolment in progress waits in the session, encrypted, until a
code confirms it; only then does a device exist.
"""

from __future__ import annotations

import base64

import segno
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login

from core.credentials import CredentialError, decrypt_secret, encrypt_secret
from core.views import run_action
from customers.actions import two_factor as actions
from customers.forms.two_factor import CodeForm

PENDING_KEY_SESSION_KEY = "two_factor_pending_key"
# Where the session keeps whether its user must use two-factor sign-in and has an app
# (portal.middleware works it out at sign-in and reads it on every request).
STATE_SESSION_KEY = "two_factor"


def _remember(request, *, enrolled: bool) -> None:
    state = dict(request.session.get(STATE_SESSION_KEY) or {})
    state["enrolled"] = enrolled
    state.setdefault("required", actions.must_use_two_factor(request.user))
    request.session[STATE_SESSION_KEY] = state


def _status_context(request, remove_form: CodeForm | None = None) -> dict:
    user = request.user
    enrolled = actions.has_two_factor(user)
    required = actions.must_use_two_factor(user)
    source = (
        actions.requirement_source(user.organisation) if required and user.organisation_id else None
    )
    return {
        "enrolled": enrolled,
        "required": required,
        "required_by": source,
        "codes_left": actions.recovery_codes_left(user) if enrolled else 0,
        "remove_form": remove_form or CodeForm(),
    }


@login_required
def my_two_factor(request):
    """Is it on, how many recovery codes are left, and the buttons to change it."""
    return render(request, "users/two_factor.html", _status_context(request))


def _pending_key(request) -> str:
    """The key being enrolled, made on first sight of the page and kept until confirmed."""
    stored = request.session.get(PENDING_KEY_SESSION_KEY)
    if stored:
        try:
            return decrypt_secret(stored)
        except CredentialError:
            pass  # made under another key: start again
    key = actions.new_authenticator_key()
    request.session[PENDING_KEY_SESSION_KEY] = encrypt_secret(key)
    return key


def _qr_svg(uri: str) -> str:
    """The QR code as an inline <svg> element: no image request, no data: URI, no style
    attribute (the CSP allows none of those for it)."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff", border=4)


@login_required
def my_two_factor_enrol(request):
    """Scan the QR code (or type the key), then confirm with a code from the app."""
    user = request.user
    if actions.has_two_factor(user):
        return redirect("users:my_two_factor")
    key = _pending_key(request)
    form = CodeForm(request.POST or None, recovery=False)
    codes: list[str] = []

    def enrol() -> None:
        code = form.cleaned_data["code"]
        codes.extend(actions.enrol_authenticator(actor=user, person=user, key=key, code=code))

    if request.method == "POST" and form.is_valid():
        response = run_action(
            request,
            enrol,
            form=form,
            success=_("Two-factor sign-in is on."),
            redirect_to="users:my_two_factor",
        )
        if response is not None:
            request.session.pop(PENDING_KEY_SESSION_KEY, None)
            request.session.cycle_key()  # a stronger sign-in gets a new session key
            otp_login(request, actions.authenticator(user))
            _remember(request, enrolled=True)
            # Shown once, from this answer: never stored, never in a URL or a redirect.
            return render(request, "users/recovery_codes.html", {"codes": codes, "new": True})
    secret = base64.b32encode(bytes.fromhex(key)).decode().rstrip("=")
    context = {
        "form": form,
        # segno writes the markup from the URI alone; nothing of a person's input is in it.
        "qr_svg": mark_safe(_qr_svg(actions.enrolment_uri(user, key))),  # noqa: S308
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "required": actions.must_use_two_factor(user),
    }
    return render(request, "users/two_factor_enrol.html", context)


@login_required
@require_POST
def my_recovery_codes(request):
    """New recovery codes (the old ones stop working), shown once."""
    user = request.user
    codes: list[str] = []
    response = run_action(
        request,
        lambda: codes.extend(actions.regenerate_recovery_codes(actor=user, person=user)),
        success=_("New recovery codes are ready; the old ones no longer work."),
        redirect_to="users:my_two_factor",
    )
    if codes:
        return render(request, "users/recovery_codes.html", {"codes": codes, "new": False})
    return response


@login_required
def my_two_factor_remove(request):
    """Turn two-factor sign-in off, with a current code (GET: back to the page)."""
    if request.method != "POST":
        return redirect("users:my_two_factor")
    user = request.user
    form = CodeForm(request.POST)
    response = run_action(
        request,
        lambda: actions.remove_two_factor(actor=user, person=user, code=form.cleaned_data["code"]),
        form=form,
        success=_("Two-factor sign-in is off."),
        redirect_to="users:my_two_factor",
    )
    if response is not None:
        request.session.pop(DEVICE_ID_SESSION_KEY, None)
        _remember(request, enrolled=False)
        return response
    return render(request, "users/two_factor.html", _status_context(request, remove_form=form))
