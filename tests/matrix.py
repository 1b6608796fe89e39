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


def _contact(cast):
    from customers.models import Contact

    return Contact.objects.get_or_create(organisation=cast.customer, name="Matrix Contact")[0]


def _alias(cast):
    from customers.models import Domain

    return Domain.objects.get_or_create(organisation=cast.customer, name="matrix-alias.example")[0]


def _end_user_grant(cast):
    return cast.end_user.role_grants.get(organisation=cast.customer)


MANAGES_CUSTOMER_ONE_JOBS = expect(302, reseller2_admin=404, end_user=404, help_desk=403)


def _job_state(cast):
    from core.models import Job

    return Job.objects.get(pk=cast.customer_job.pk).state


def _job_count(cast):
    from core.models import Job

    return Job.objects.filter(organisation=cast.customer).count()


def _state(cast):
    from customers.models import Contact, Domain, Organisation, RoleGrant

    org = Organisation.objects.get(pk=cast.customer.pk)
    return (
        org.status,
        org.is_reseller,
        org.name,
        sorted(Domain.objects.filter(organisation=org).values_list("name", "is_primary")),
        sorted(Contact.objects.filter(organisation=org).values_list("name", flat=True)),
        RoleGrant.objects.filter(organisation=org).count(),
    )


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
    # Issue 3: find, create, manage customers.
    "customers:tree": Row(),
    "customers:export": Row(),
    "customers:create": Row(statuses=CREATES_CUSTOMERS),
    "customers:quick_create": Row(statuses=CREATES_CUSTOMERS),
    "customers:create_similar": Row(
        args=lambda cast: [cast.customer.pk], statuses=DECIDES_CUSTOMER_ONE
    ),
    "customers:wizard_admin": Row(
        args=lambda cast: [cast.customer.pk], statuses=CHANGES_CUSTOMER_ONE
    ),
    "customers:wizard_services": Row(
        args=lambda cast: [cast.customer.pk], statuses=DECIDES_CUSTOMER_ONE
    ),
    "customers:wizard_summary": Row(
        args=lambda cast: [cast.customer.pk], statuses=SEES_CUSTOMER_ONE
    ),
    "customers:edit": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        data=lambda cast: {
            "name": "Renamed",
            "code": cast.customer.code,
            "customer_type": "standard",
            "language": "en",
            "password_min_length": 8,
            "password_complexity": "on",
            "password_history": 12,
            "password_max_age_days": 90,
            "lockout_threshold": 10,
            "lockout_duration_minutes": 30,
        },
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:contacts": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        data=lambda cast: {"name": "New Contact", "email": "new@example.com"},
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:contact_edit": Row(
        args=lambda cast: [cast.customer.pk, _contact(cast).pk], statuses=CHANGES_CUSTOMER_ONE
    ),
    "customers:contact_delete": Row(
        method="post",
        args=lambda cast: [cast.customer.pk, _contact(cast).pk],
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:domains": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        data=lambda cast: {"name": "added-alias.example"},
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:domain_remove": Row(
        method="post",
        args=lambda cast: [cast.customer.pk, _alias(cast).pk],
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:domain_make_primary": Row(
        method="post",
        args=lambda cast: [cast.customer.pk, _alias(cast).pk],
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:roles": Row(args=lambda cast: [cast.customer.pk], statuses=SEES_CUSTOMER_ONE),
    "customers:role_revoke": Row(
        method="post",
        args=lambda cast: [cast.customer.pk, _end_user_grant(cast).pk],
        statuses=as_post(CHANGES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:jobs": Row(args=lambda cast: [cast.customer.pk], statuses=SEES_CUSTOMER_ONE),
    "customers:history": Row(args=lambda cast: [cast.customer.pk], statuses=SEES_CUSTOMER_ONE),
    "customers:provision": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        statuses=as_post(DECIDES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:suspend": Row(args=lambda cast: [cast.customer.pk], statuses=DECIDES_CUSTOMER_ONE),
    "customers:resume": Row(args=lambda cast: [cast.customer.pk], statuses=DECIDES_CUSTOMER_ONE),
    "customers:deprovision": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        statuses=as_post(DECIDES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "customers:delete": Row(args=lambda cast: [cast.customer.pk], statuses=DECIDES_CUSTOMER_ONE),
    "customers:restore": Row(
        args=lambda cast: [cast.customer.pk],
        statuses=expect(403, provider_admin=200, reseller2_admin=404, end_user=404),
    ),
    "customers:make_reseller": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        statuses=as_post(DECIDES_CUSTOMER_ONE),
        unchanged=_state,
    ),
    "provisioning:job_list": Row(),
    "provisioning:job_detail": Row(
        args=lambda cast: [cast.customer_job.pk], statuses=SEES_CUSTOMER_ONE
    ),
    # The matrix job is queued: retry answers "only a failed job" (302 with a message),
    # cancel cancels it (rolled back after each role); help desk may see but not manage.
    "provisioning:job_retry": Row(
        method="post",
        args=lambda cast: [cast.customer_job.pk],
        statuses=MANAGES_CUSTOMER_ONE_JOBS,
        unchanged=_job_state,
    ),
    "provisioning:job_cancel": Row(
        method="post",
        args=lambda cast: [cast.customer_job.pk],
        statuses=MANAGES_CUSTOMER_ONE_JOBS,
        unchanged=_job_state,
    ),
    "provisioning:check_directory": Row(
        args=lambda cast: [cast.customer.pk], statuses=SEES_CUSTOMER_ONE
    ),
    "provisioning:repair_directory": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        statuses=MANAGES_CUSTOMER_ONE_JOBS,
        unchanged=_job_count,
    ),
}

# The user and service pages keep their rows in their own module.
from tests.matrix_people import ROWS as _PEOPLE_ROWS  # noqa: E402

MATRIX.update(_PEOPLE_ROWS)
