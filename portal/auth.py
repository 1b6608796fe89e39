"""Sign-in by username or UPN: directory users know their UPN, admins their username."""

from django.contrib.auth.backends import ModelBackend

from customers.models import User


class UsernameOrUpnBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and "@" in username:
            match = User.objects.filter(upn=username.strip().lower()).first()
            if match is not None:
                username = match.username
        return super().authenticate(request, username=username, password=password, **kwargs)
