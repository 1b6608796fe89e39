"""Rate limits for the API: per key (``API_RATE_PER_KEY``) and per person, whatever key or
session they use (``API_RATE_PER_USER``). Over the limit: 429 with ``Retry-After`` (DRF's).

Anonymous requests are not counted here: they get 401 before doing anything.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from customers.models import ApiKey


class _Throttle(SimpleRateThrottle):
    setting = ""

    def __init__(self):
        # Read at each request, not at import, so the settings can change (tests, reloads).
        self.cache = caches["api_throttle"]
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def identity(self, request) -> str | None:
        raise NotImplementedError

    def get_cache_key(self, request, view):
        ident = self.identity(request)
        return None if ident is None else f"{self.scope}:{ident}"


class PerKeyThrottle(_Throttle):
    scope = "api-key"
    setting = "API_RATE_PER_KEY"

    def identity(self, request):
        return str(request.auth.pk) if isinstance(request.auth, ApiKey) else None


class PerUserThrottle(_Throttle):
    scope = "api-user"
    setting = "API_RATE_PER_USER"

    def identity(self, request):
        user = request.user
        return str(user.pk) if user.is_authenticated and user.pk is not None else None
