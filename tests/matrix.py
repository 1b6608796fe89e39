"""The permission matrix: every named URL x every cast member -> the expected status.

``test_permission_matrix`` walks the URLconf; a URL with no row here fails it. When you add a
URL, add its row: how to build its arguments from the cast, the method, optional POST data,
and the status each cast member must get. A POST that a cast member may not make must also
leave the target unchanged (``unchanged`` names what to compare).
"""

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


@dataclass
class Row:
    args: Callable[[Any], list[Any]] = lambda cast: []
    statuses: dict[str, int] = field(default_factory=lambda: expect(200))
    method: str = "get"
    data: Callable[[Any], dict[str, Any]] | None = None
    query: str = ""
    # For refused POSTs: a function of the cast returning something comparable before/after.
    unchanged: Callable[[Any], Any] | None = None


MATRIX: dict[str, Row] = {
    "dashboard": Row(),
    "login": Row(statuses=expect(302, anonymous=200)),
    "logout": Row(method="post", statuses=expect(302, anonymous=302)),
    "password_change": Row(),
    "password_change_done": Row(),
    "switch_context": Row(
        method="post",
        data=lambda cast: {"organisation": cast.customer.pk},
        statuses=expect(302, reseller2_admin=404, end_user=404),
    ),
    "context_choices": Row(),
    "customers:list": Row(),
    "customers:detail": Row(args=lambda cast: [cast.customer.pk], statuses=SEES_CUSTOMER_ONE),
    "customers:user_detail": Row(
        args=lambda cast: [cast.end_user.pk], statuses=SEES_CUSTOMER_ONE_USERS
    ),
    "provisioning:job_list": Row(),
    "provisioning:job_detail": Row(
        args=lambda cast: [cast.customer_job.pk], statuses=SEES_CUSTOMER_ONE
    ),
}
