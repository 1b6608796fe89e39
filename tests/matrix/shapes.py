"""What a matrix row is and the shapes of statuses that recur across the apps' rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROLES = [
    "anonymous",
    "provider_admin",
    "reseller_admin",
    "reseller2_admin",
    "customer_admin",
    "help_desk",
    "end_user",
]

LOGIN = 302  # anonymous visitors are sent to the login page


def expect(default: int, anonymous: int = LOGIN, **overrides: int) -> dict[str, int]:
    statuses = dict.fromkeys(ROLES, default)
    statuses["anonymous"] = anonymous
    statuses.update(overrides)
    return statuses


# Shapes that recur: who sees an object that lives in Customer One (under Reseller One)?
SEES_CUSTOMER_ONE = expect(200, reseller2_admin=404, end_user=404)
# ...and who sees a user of Customer One?
SEES_CUSTOMER_ONE_USERS = SEES_CUSTOMER_ONE
# ...who may change Customer One (its admins and those above; help desk only looks)?
CHANGES_CUSTOMER_ONE = expect(200, reseller2_admin=404, end_user=404, help_desk=403)
# ...who decides its lifecycle (manage_lifecycle on its parent, Reseller One)?
DECIDES_CUSTOMER_ONE = expect(
    200, reseller2_admin=404, end_user=404, customer_admin=403, help_desk=403
)
# ...who may create customers somewhere (add_customer on a provider or reseller)?
CREATES_CUSTOMERS = expect(200, customer_admin=403, help_desk=403, end_user=403)


def as_post(statuses: dict[str, int]) -> dict[str, int]:
    """The same shape for a POST: a success redirects (302) instead of rendering (200)."""
    return {role: 302 if status == 200 else status for role, status in statuses.items()}


MANAGES_CUSTOMER_ONE_JOBS = expect(302, reseller2_admin=404, end_user=404, help_desk=403)


@dataclass
class Row:
    args: Callable[[Any], list[Any]] = lambda cast: []
    statuses: dict[str, int] = field(default_factory=lambda: expect(200))
    method: str = "get"
    data: Callable[[Any], dict[str, Any]] | None = None
    query: str = ""
    # For refused POSTs: a function of the cast returning something comparable before/after.
    unchanged: Callable[[Any], Any] | None = None
    # An API operation: called with each member's API key (JSON body), anonymous with none.
    api: bool = False
    # An API operation that takes a file: the data goes as multipart/form-data, not JSON.
    multipart: bool = False
