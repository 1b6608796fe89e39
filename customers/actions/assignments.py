"""Giving services to users and taking them away, one user or many at once.

Seats are taken under the subscription's row lock (``take_service_seat``), so two admins
giving the last seat at once cannot both succeed. One job per call makes the directory
match: it reads the users' services from the portal when it runs, so it is idempotent and a
later job simply repeats the same state.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from core.jobs import JobKind, request_job
from core.models import Job
from core.scoping import has_permission
from customers.actions.catalogue import DIRECTORY_STATES
from customers.actions.limits import subscription_usage, take_service_seat
from customers.models import CustomerService, ServiceType, SubscriptionStatus, User, UserService


def _check(actor: Any, subscription: CustomerService, users: list[User]) -> None:
    organisation = subscription.organisation
    if not has_permission(actor, "assign_services", organisation):
        raise PermissionDenied(_("You may not give services to these users."))
    if any(user.organisation_id != organisation.pk for user in users):
        raise ValidationError(_("A service can only go to users of the customer that has it."))


def take_service_seats(subscription: CustomerService, count: int) -> CustomerService:
    """``take_service_seat`` for ``count`` users at once (one lock, one count)."""
    locked = take_service_seat(subscription, count)  # locks; refuses if not even one seat is left
    if count > 1:
        usage = subscription_usage(locked)
        if usage.allowed is not None and usage.used + count > usage.allowed:
            left = max(usage.allowed - usage.used, 0)
            raise ValidationError(
                _(
                    "Only %(left)s %(name)s seats are left at %(name2)s (%(usage)s); "
                    "%(count)s were asked for."
                )
                % {
                    "left": left,
                    "name": locked.service.name,
                    "name2": locked.organisation.name,
                    "usage": usage,
                    "count": count,
                },
                code="service_limit",
            )
    return locked


def sync_job(
    *, actor: Any, users: list[User], subscriptions: Iterable[CustomerService]
) -> Job | None:
    """The job that makes these users' directory state match these subscriptions."""
    subscriptions = list(subscriptions)
    if not users or not subscriptions:
        return None  # nothing to assign: no job that would read "Assign services: :"
    organisation = users[0].organisation
    if organisation.status not in DIRECTORY_STATES:
        return None
    names = ", ".join(sorted(s.service.name for s in subscriptions))
    target = (
        users[0].username
        if len(users) == 1
        else _("%(count)d users of %(organisation)s")
        % {"count": len(users), "organisation": organisation.name}
    )
    return request_job(
        kind=JobKind.ASSIGN_SERVICES,
        organisation=organisation,
        actor=actor,
        user=users[0] if len(users) == 1 else None,
        payload={
            "user_ids": [user.pk for user in users],
            "subscription_ids": [s.pk for s in subscriptions],
        },
        target_label=(_("%(services)s for %(target)s") % {"services": names, "target": target})[
            :300
        ],
    )


def _assign(subscription: CustomerService, users: list[User]) -> list[User]:
    """Rows for the users who do not have it yet (caller holds the permission)."""
    if subscription.status == SubscriptionStatus.DEPROVISIONING:
        raise ValidationError(
            _("%(name)s is being removed from this customer.") % {"name": subscription.service.name}
        )
    having = set(
        UserService.objects.filter(subscription=subscription, user__in=users).values_list(
            "user_id", flat=True
        )
    )
    new = [user for user in users if user.pk not in having]
    if new:
        take_service_seats(subscription, len(new))
        UserService.objects.bulk_create(
            [UserService(user=user, subscription=subscription) for user in new]
        )
        if subscription.service.service_type == ServiceType.MAIL_ATTRIBUTES:
            # Their mailbox address is their UPN: the portal's email says so too, so that
            # every later account update writes the same ``mail``.
            User.objects.filter(pk__in=[u.pk for u in new]).update(email=F("upn"))
    return new


@transaction.atomic
def give_service(*, actor: Any, subscription: CustomerService, users: Iterable[User]) -> Job | None:
    """Give the service to every user in ``users`` who does not have it yet."""
    users = list(users)
    _check(actor, subscription, users)
    new = _assign(subscription, users)
    return sync_job(actor=actor, users=new, subscriptions=[subscription])


@transaction.atomic
def take_service(*, actor: Any, subscription: CustomerService, users: Iterable[User]) -> Job | None:
    """Take the service from these users (the directory account stays with every user)."""
    users = list(users)
    _check(actor, subscription, users)
    if subscription.service.service_type == ServiceType.DIRECTORY_ACCOUNT:
        raise ValidationError(_("Every user keeps a directory account; delete the user instead."))
    removed = UserService.objects.filter(subscription=subscription, user__in=users)
    holders = set(removed.values_list("user_id", flat=True))
    removed.delete()
    return sync_job(
        actor=actor,
        users=[user for user in users if user.pk in holders],
        subscriptions=[subscription],
    )


@transaction.atomic
def set_user_services(
    *, actor: Any, user: User, subscriptions: Iterable[CustomerService]
) -> Job | None:
    """Make ``user``'s services exactly ``subscriptions`` (the user page's checkboxes)."""
    wanted = {s.pk: s for s in subscriptions}
    organisation = user.organisation
    if not has_permission(actor, "assign_services", organisation):
        raise PermissionDenied(_("You may not change this user's services."))
    current = {
        a.subscription_id: a.subscription
        for a in user.services.select_related("subscription__service")
    }
    changed: list[CustomerService] = []
    for pk, subscription in wanted.items():
        if pk not in current:
            _check(actor, subscription, [user])
            _assign(subscription, [user])
            changed.append(subscription)
    for pk, subscription in current.items():
        if pk not in wanted:
            if subscription.service.service_type == ServiceType.DIRECTORY_ACCOUNT:
                raise ValidationError(_("Every user keeps a directory account."))
            UserService.objects.filter(user=user, subscription_id=pk).delete()
            changed.append(subscription)
    return sync_job(actor=actor, users=[user], subscriptions=changed) if changed else None


def give_directory_account(user: User) -> None:
    """Every user has the directory account service when the customer has one."""
    subscription = (
        CustomerService.objects.filter(
            organisation=user.organisation_id,
            service__service_type=ServiceType.DIRECTORY_ACCOUNT,
        )
        .exclude(status=SubscriptionStatus.DEPROVISIONING)
        .first()
    )
    if subscription is not None:
        _assign(subscription, [user])
