"""``Authorization: Bearer cnp_…``: the request acts as the key's owner, narrowed to the key.

The owner is loaded afresh on every request and narrowed with ``core.scoping.limit``, so the
scoping API answers "the owner's permissions today, within the key's scopes and subtree": the
views and actions need not know a key was used. A disabled owner, a suspended organisation,
an expired or revoked key: 401, as for no key at all.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from core import tracing
from core.scoping import limit
from customers.actions.api_keys import key_for, record_use
from portal.throttling import client_ip


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != self.keyword:
            return None
        if len(words) != 2:
            raise AuthenticationFailed(_("Send one key: Authorization: Bearer <key>."))
        try:
            raw = words[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("This API key is not valid.")) from None
        key = key_for(raw)
        if key is None:
            raise AuthenticationFailed(_("This API key is not valid, has expired or was revoked."))
        record_use(key, client_ip(request._request))
        owner = limit(key.owner, key.scopes, key.organisation)
        owner.api_key = key
        # The request's log lines name the owner, as for a session (LogUserMiddleware runs
        # before the API knows who is asking).
        tracing.user_id.set(owner.pk)
        return owner, key

    def authenticate_header(self, request) -> str:
        # Present on every 401, which is also what makes DRF answer 401 rather than 403.
        return 'Bearer realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document names the scheme (drf-spectacular finds it by subclassing)."""

    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key from the API keys page: Authorization: Bearer cnp_…",
        }
