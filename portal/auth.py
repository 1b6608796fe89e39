"""Sign-in by username or UPN: directory users know their UPN, admins their username."""

from django.contrib.auth.backends import ModelBackend

from customers.models import User
from portal.middleware import LOCKED_STATUSES


class UsernameOrUpnBackend(ModelBackend):
    """Sign in with a username or a UPN; users of suspended organisations cannot sign in."""

    def user_can_authenticate(self, user):
        organisation = user.organisation
        if organisation is not None and organisation.status in LOCKED_STATUSES:
            return user.is_superuser
        return super().user_can_authenticate(user)

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and "@" in username:
            match = User.objects.filter(upn=username.strip().lower()).first()
            if match is not None:
                username = match.username
        return super().authenticate(request, username=username, password=password, **kwargs)
