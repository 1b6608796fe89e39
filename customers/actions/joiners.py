"""Joiners and leavers: start and end dates, applied by an hourly schedule.

A user with a start date in the future is created as usual, but their account stays
disabled (``may_sign_in`` says no before the start date, and the account's job follows
it); on the day, the schedule requests the job that enables it. From a user's end date they
cannot sign in; the schedule disables the account, releases their services (the seats go
back to the customer; the directory account stays until removal) and, once the
organisation's leaver retention period has passed, deletes the user and the account.

``apply_schedules`` is idempotent: each user's start and end are applied once (marked by
``started_at`` / ``left_at``, cleared when someone changes the date), and running it twice
in an hour, or after a worker died half-way, does nothing more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.actors import SYSTEM
from core.jobs import JobKind
from customers.actions.assignments import sync_job
from customers.actions.catalogue import DIRECTORY_STATES
from customers.actions.users import delete_user, user_job
from customers.models import ServiceType, Status, User, UserService

logger = logging.getLogger("customers.joiners")

# The users list marks who starts or leaves within this many days.
SOON_DAYS = 14


@dataclass
class Applied:
    started: int = 0
    left: int = 0
    removed: int = 0
    kept: int = 0  # leavers due for removal who are their customer's only administrator


def _account_job(kind: str, person: User) -> None:
    organisation = person.organisation
    if organisation is not None and organisation.status in DIRECTORY_STATES:
        user_job(kind=kind, actor=SYSTEM, user=person)


@transaction.atomic
def start(person: User) -> bool:
    """The start date has come: enable the account (once)."""
    person = (
        User.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=person.pk)
    )
    if person.started_at is not None:
        return False
    person.started_at = timezone.now()
    person.save(update_fields=["started_at"])
    _account_job(JobKind.ENABLE_USER, person)
    return True


@transaction.atomic
def leave(person: User) -> bool:
    """The end date has come: disable the account and release the services (once)."""
    person = (
        User.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=person.pk)
    )
    if person.left_at is not None:
        return False
    person.left_at = timezone.now()
    person.save(update_fields=["left_at"])
    _account_job(JobKind.DISABLE_USER, person)
    released = list(
        UserService.objects.filter(user=person)
        .exclude(subscription__service__service_type=ServiceType.DIRECTORY_ACCOUNT)
        .select_related("subscription__service", "subscription__organisation")
    )
    if released:
        UserService.objects.filter(pk__in=[a.pk for a in released]).delete()
        sync_job(actor=SYSTEM, users=[person], subscriptions=[a.subscription for a in released])
    return True


def remove(person: User) -> bool:
    """The retention period after the end date has passed: delete the user and account."""
    try:
        delete_user(actor=SYSTEM, person=person)
    except ValidationError:
        logger.warning("leaver %s is kept: the customer's only administrator", person.pk)
        return False
    return True


def due_to_start(today: date):
    return User.objects.filter(starts_on__lte=today, started_at__isnull=True)


def due_to_leave(today: date):
    return User.objects.filter(ends_on__lte=today, left_at__isnull=True)


def due_for_removal(today: date) -> list[User]:
    """Leavers whose end date plus their organisation's retention has passed (few: they
    are removed as they come due)."""
    leavers = (
        User.objects.filter(left_at__isnull=False, ends_on__isnull=False)
        .exclude(organisation__status=Status.DELETED)
        .select_related("organisation")
        .order_by("pk")
    )
    return [
        person
        for person in leavers
        if person.organisation is not None
        and person.ends_on + timedelta(days=person.organisation.leaver_retention_days) <= today
    ]


def apply_schedules(*, actor: Any = SYSTEM, today: date | None = None) -> Applied:
    """Apply every start and end date that has come, and remove leavers whose retention
    has passed. ``actor`` is recorded for the record only: schedules act as the system."""
    today = today or timezone.localdate()
    applied = Applied()
    for person in due_to_start(today).order_by("pk"):
        applied.started += start(person)
    for person in due_to_leave(today).order_by("pk"):
        applied.left += leave(person)
    for person in due_for_removal(today):
        if remove(person):
            applied.removed += 1
        else:
            applied.kept += 1
    if applied.started or applied.left or applied.removed:
        logger.info(
            "joiners and leavers: %d started, %d left, %d removed",
            applied.started,
            applied.left,
            applied.removed,
        )
    return applied


def starting_or_leaving_soon(today: date | None = None) -> Q:
    """Users whose start or end date is today or within ``SOON_DAYS`` (for the list)."""
    today = today or timezone.localdate()
    until = today + timedelta(days=SOON_DAYS)
    return Q(starts_on__gte=today, starts_on__lte=until) | Q(ends_on__gte=today, ends_on__lte=until)
