"""API clients that authenticate as a cast member with a real key."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from customers.actions.api_keys import create_api_key, scopes_held


def make_key(owner, *, organisation=None, scopes=None, days=30, name="test"):
    """A key of ``owner`` (all their scopes on ``organisation``, by default their own)."""
    organisation = organisation or owner.organisation
    return create_api_key(
        actor=owner,
        owner=owner,
        name=name,
        organisation=organisation,
        scopes=scopes if scopes is not None else scopes_held(owner, organisation),
        expires_at=timezone.now() + timedelta(days=days),
    )


def bearer(plain: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def api_client(owner, **kwargs) -> Client:
    return bearer(make_key(owner, **kwargs)[1])
