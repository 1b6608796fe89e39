"""The address of the client whose request is being served, for the security log.

Actions take no request, yet a password reset or a role grant belongs in the security log
with the address it came from. ``portal.middleware.ClientAddressMiddleware`` sets it for the
length of each request (as django-simple-history keeps the request's user for history
rows); jobs, commands and the shell have none.
"""

from __future__ import annotations

from contextvars import ContextVar

_address: ContextVar[str | None] = ContextVar("canopy_client_address", default=None)


def client_address() -> str | None:
    return _address.get()


def set_client_address(address: str | None):
    """Set the address; returns the token to hand back to ``reset_client_address``."""
    return _address.set(address)


def reset_client_address(token) -> None:
    _address.reset(token)
