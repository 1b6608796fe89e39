"""User limits and seat pools, enforced under a row lock so parallel requests never overshoot.

A customer's ``user_limit`` caps its users. A reseller's ``user_limit`` is a pool: the limits
it gives its sub-customers, plus its own users, may not add up to more than it was given.
The same holds for service seats (``CustomerService.user_limit``), and a plan's own
``user_limit`` caps the users of that plan at one customer.

Every check locks the row whose limit is at stake (``SELECT ... FOR UPDATE``) before counting,
so two requests racing for the last seat are serialised and the second sees the first.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from core.registry import Admission, check_admission
from core.scoping import within
from customers.models import CustomerService, Organisation, Status, User, UserService


@dataclass(frozen=True)
class Usage:
    used: int
    allowed: int | None

    def __str__(self) -> str:
        return f"{self.used} / {'unlimited' if self.allowed is None else self.allowed}"

    @property
    def full(self) -> bool:
        return self.allowed is not None and self.used >= self.allowed


def lock_organisation(organisation: Organisation) -> Organisation:
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


def people_in(organisation: Organisation) -> int:
    """The users of ``organisation`` and of everything below it, leaving out deleted
    organisations (their people can no longer sign in and hold no seat): the same number the
    dashboard shows for that organisation."""
    return (
        User.objects.filter(within(organisation, "organisation__"))
        .exclude(organisation__status=Status.DELETED)
        .count()
    )


def live_children(organisation: Organisation) -> QuerySet[Organisation]:
    """Children that still hold seats (a deleted customer gives its seats back)."""
    return organisation.children.exclude(status=Status.DELETED)


def seats_taken(organisation: Organisation) -> int:
    """What counts against ``organisation``'s own limit: its users, and for a reseller the
    seats it handed to its (not deleted) customers; a customer without a limit of its own
    takes as many as it has users."""
    if not organisation.is_reseller:
        return organisation.users.count()
    given = live_children(organisation).aggregate(total=Sum("user_limit"))["total"] or 0
    unlimited = sum(
        people_in(child) for child in live_children(organisation).filter(user_limit__isnull=True)
    )
    return organisation.users.count() + given + unlimited


def user_usage(organisation: Organisation) -> Usage:
    """Used / allowed for an organisation's Users header, summary and dashboard.

    Without a limit the number is its people (its subtree's users, deleted organisations left
    out), so it agrees with the dashboard; with one, it is the seats taken from that limit.
    """
    if organisation.user_limit is None:
        return Usage(people_in(organisation), None)
    return Usage(seats_taken(organisation), organisation.user_limit)


def take_user_seat(organisation: Organisation) -> None:
    """Call inside the transaction that creates a user: refuses when the limit is reached."""
    locked = lock_organisation(organisation)
    # Under the organisation's lock, so racing creations are judged one after another.
    check_admission(Admission(Admission.USER, locked))
    if locked.user_limit is None:
        return
    usage = user_usage(locked)
    if usage.full:
        raise ValidationError(
            _("%(name)s has reached its user limit (%(usage)s).")
            % {"name": locked.name, "usage": usage},
            code="user_limit",
        )


def check_user_limit(organisation: Organisation, new_limit: int | None) -> None:
    """May ``organisation`` be given ``new_limit`` users? Locks the parent's pool.

    Call inside the transaction that saves the limit, before saving it, with the tree's root
    locked first (``organisations.lock_tree``), as every insert into the tree does: the locks
    are then always taken in the same order. ``organisation`` may be new (no ``pk`` yet).
    """
    if new_limit is not None and organisation.pk is not None:
        used = seats_taken(organisation)
        if new_limit < used:
            raise ValidationError(
                {
                    "user_limit": _("It already uses %(used)s; the limit cannot be lower.")
                    % {"used": used}
                }
            )
    parent = organisation.parent
    if parent is None:
        return
    pool = lock_organisation(parent)
    if pool.user_limit is None:
        return
    if new_limit is None:
        raise ValidationError(
            {
                "user_limit": _("%(name)s has a limit of %(user_limit)s: set a number.")
                % {"name": pool.name, "user_limit": pool.user_limit}
            }
        )
    siblings = live_children(pool).exclude(pk=organisation.pk).aggregate(total=Sum("user_limit"))
    taken = (siblings["total"] or 0) + pool.users.count()
    if taken + new_limit > pool.user_limit:
        raise ValidationError(
            {
                "user_limit": _("Only %(max)s of %(name)s's %(user_limit)s users are left to give.")
                % {
                    "max": max(pool.user_limit - taken, 0),
                    "name": pool.name,
                    "user_limit": pool.user_limit,
                }
            }
        )


def subscription_usage(subscription: CustomerService) -> Usage:
    used = subscription.assignments.count()
    allocated = (
        CustomerService.objects.filter(
            organisation__parent=subscription.organisation_id, service=subscription.service_id
        ).aggregate(total=Sum("user_limit"))["total"]
        or 0
    )
    limits = [x for x in (subscription.user_limit, subscription.plan.user_limit) if x is not None]
    return Usage(used + allocated, min(limits) if limits else None)


def annotate_usage(subscriptions: QuerySet[CustomerService]) -> QuerySet[CustomerService]:
    """``seats_assigned`` and ``seats_handed_out`` on each row, counted in the same query."""
    assigned = (
        UserService.objects.filter(subscription=OuterRef("pk"))
        .order_by()
        .values("subscription")
        .annotate(n=Count("pk"))
        .values("n")
    )
    handed_out = (
        CustomerService.objects.filter(
            organisation__parent=OuterRef("organisation_id"), service=OuterRef("service_id")
        )
        .order_by()
        .values("service")
        .annotate(total=Sum("user_limit"))
        .values("total")
    )
    zero = Value(0, output_field=IntegerField())
    return subscriptions.select_related("service", "plan").annotate(
        seats_assigned=Coalesce(Subquery(assigned, output_field=IntegerField()), zero),
        seats_handed_out=Coalesce(Subquery(handed_out, output_field=IntegerField()), zero),
    )


def subscriptions_with_usage(
    subscriptions: QuerySet[CustomerService],
) -> list[tuple[CustomerService, Usage]]:
    """Each subscription with the same ``Usage`` as ``subscription_usage``, in one query."""
    rows = annotate_usage(subscriptions)
    result = []
    for subscription in rows:
        limits = [
            x for x in (subscription.user_limit, subscription.plan.user_limit) if x is not None
        ]
        used = subscription.seats_assigned + subscription.seats_handed_out
        result.append((subscription, Usage(used, min(limits) if limits else None)))
    return result


def take_service_seat(subscription: CustomerService, count: int = 1) -> CustomerService:
    """Call inside the transaction that gives ``count`` users a service (the admission checks
    judge all of them at once)."""
    locked = (
        CustomerService.objects.select_for_update()
        .select_related("plan", "service")
        .get(pk=subscription.pk)
    )
    check_admission(
        Admission(Admission.SEATS, locked.organisation, subscription=locked, count=count)
    )
    usage = subscription_usage(locked)
    if usage.full:
        raise ValidationError(
            _("No %(name)s seats left at %(name2)s (%(usage)s).")
            % {"name": locked.service.name, "name2": locked.organisation.name, "usage": usage},
            code="service_limit",
        )
    return locked


def check_service_allocation(
    organisation: Organisation, service_id: int, new_limit: int | None
) -> None:
    """A reseller can give a sub-customer at most the seats it has left of a service."""
    parent = organisation.parent
    if parent is None:
        return
    pool = (
        CustomerService.objects.select_for_update()
        .select_related("plan")
        .filter(organisation=parent, service_id=service_id)
        .first()
    )
    if pool is None:
        if parent.parent_id is None:
            return  # the provider offers its catalogue without a pool
        raise ValidationError(_("The reseller does not have this service to pass on."))
    limits = [x for x in (pool.user_limit, pool.plan.user_limit) if x is not None]
    if not limits:
        return
    if new_limit is None:
        raise ValidationError(
            {"user_limit": _("Set the seats: %(name)s has a limit.") % {"name": parent.name}}
        )
    siblings = (
        CustomerService.objects.filter(organisation__parent=parent, service_id=service_id)
        .exclude(organisation=organisation)
        .aggregate(total=Sum("user_limit"))["total"]
        or 0
    )
    own = UserService.objects.filter(subscription=pool).count()
    if siblings + own + new_limit > min(limits):
        raise ValidationError(
            {
                "user_limit": _("Only %(max)s seats are left to give.")
                % {"max": max(min(limits) - siblings - own, 0)}
            }
        )
