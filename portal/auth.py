"""Sign-in by username or UPN: directory users know their UPN, admins their username.

Whatever a person types, the sign-in throttle (django-axes) must count it against the one
account it names: ``HelpDesk@Acme.example`` and ``helpdesk@acme.example`` are the same
account, and so are ``CAdmin`` and ``cadmin`` (the directory compares sAMAccountNames without
case too). ``canonical_login`` is that mapping; axes calls it through
``AXES_USERNAME_CALLABLE``.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from billing.models.account import banner_annotations
from customers.actions.lifecycle import may_sign_in
from customers.models import Organisation, User


def find_account(login: str) -> User | None:
    """The account a login string names (a UPN or a username, any case), or None."""
    login = (login or "").strip()
    if not login:
        return None
    if "@" in login:
        return User.objects.filter(upn=login.lower()).first()
    exact = User.objects.filter(username=login).first()
    if exact is not None:
        return exact
    matches = list(User.objects.filter(username__iexact=login)[:2])
    return matches[0] if len(matches) == 1 else None


def canonical_login(login: str) -> str:
    """The name the throttle counts failures under: the account's username when the string
    names an account, else the string lower-cased (unknown names are still throttled, and
    changing their case does not buy more tries)."""
    account = find_account(login)
    if account is not None:
        return account.username
    return (login or "").strip().lower()


def axes_username(request, credentials: dict | None) -> str:
    """``AXES_USERNAME_CALLABLE``: the canonical account for this sign-in attempt."""
    if credentials is not None and credentials.get("username") is not None:
        login = credentials["username"]
    else:
        data = getattr(request, "POST", None) or {}
        login = data.get("username", "")
    return canonical_login(str(login))


class UsernameOrUpnBackend(ModelBackend):
    """Sign in with a username or a UPN; users of suspended organisations cannot sign in."""

    def user_can_authenticate(self, user):
        if getattr(user, "is_service_account", False):
            return False  # a program's identity: it acts only through its API keys
        return may_sign_in(user) or (user.is_superuser and user.is_active)

    def get_user(self, user_id):
        """The session's user, with the organisation that ``may_sign_in`` reads anyway loaded
        in the same query as whether its billing banner shows (billing.context_processors)."""
        user = User._default_manager.filter(pk=user_id).first()
        if user is None:
            return None
        if user.organisation_id is not None:
            user.organisation = (
                Organisation.objects.annotate(**banner_annotations())
                .filter(pk=user.organisation_id)
                .first()
            )
        return user if self.user_can_authenticate(user) else None

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and "@" in username:
            match = find_account(username)
            if match is not None:
                username = match.username
        return super().authenticate(request, username=username, password=password, **kwargs)
