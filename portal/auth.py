"""Sign-in by username or UPN: directory users know their UPN, admins their username."""

from django.contrib.auth.backends import ModelBackend

from customers.actions.lifecycle import may_sign_in
from customers.models import User


class UsernameOrUpnBackend(ModelBackend):
    """Sign in with a username or a UPN; users of suspended organisations cannot sign in."""

    def user_can_authenticate(self, user):
        return may_sign_in(user) or (user.is_superuser and user.is_active)

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and "@" in username:
            match = User.objects.filter(upn=username.strip().lower()).first()
            if match is not None:
                username = match.username
        return super().authenticate(request, username=username, password=password, **kwargs)
