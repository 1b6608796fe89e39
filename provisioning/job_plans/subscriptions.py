"""Plans for services and user administration: provision / deprovision a service, make
users' services match, bulk-import users, change a password, unlock, administrator rights.

What each service does in the directory comes from its type (`provisioning.drivers`).
"""

from __future__ import annotations

import json
from collections import defaultdict

from core.jobs import JobKind
from core.models import Job
from customers.actions.imports import set_imported_passwords
from customers.models import CustomerService, Organisation, SubscriptionStatus, User, UserService
from directory import PasswordRejectedError, ensure_user, unlock_user
from provisioning.drivers import driver_for
from provisioning.drivers.helpers import group_membership_step
from provisioning.engine.context import StepContext
from provisioning.job_plans import layout, steps
from provisioning.job_plans.base import Step, register

IMPORT_CHUNK = 100  # accounts per step of a bulk import (one progress tick each)


def _subscription(job: Job) -> CustomerService | None:
    return (
        CustomerService.objects.select_related("service", "plan", "organisation")
        .filter(pk=job.payload.get("subscription"))
        .first()
    )


def _holders(subscription: CustomerService) -> list[User]:
    return list(
        User.objects.filter(services__subscription=subscription)
        .select_related("organisation")
        .order_by("pk")
    )


def service_steps(subscription: CustomerService) -> list[Step]:
    """The service at its customer, and at every user who has it."""
    kind = driver_for(subscription.service.service_type)
    return [
        *kind.provision_customer(subscription),
        *kind.give(subscription, _holders(subscription)),
    ]


def organisation_service_steps(organisation: Organisation) -> list[Step]:
    """Every service of an organisation, for a provisioning or a repair of the whole of it
    (services given while it was a draft are built here, then marked active)."""
    subscriptions = list(
        CustomerService.objects.filter(organisation=organisation)
        .exclude(status=SubscriptionStatus.DEPROVISIONING)
        .select_related("service", "plan", "organisation")
    )
    if not subscriptions:
        return []

    def activate(ctx: StepContext) -> None:
        done = CustomerService.objects.filter(
            pk__in=[s.pk for s in subscriptions], status=SubscriptionStatus.PROVISIONING
        ).update(status=SubscriptionStatus.ACTIVE)
        ctx.note(f"{done} newly active")

    return [
        *(step for s in subscriptions for step in service_steps(s)),
        Step("Mark the services active", activate),
    ]


def _set_subscription_status(status: str):
    def hook(job: Job) -> None:
        CustomerService.objects.filter(
            pk=job.payload.get("subscription"),
            status__in=[SubscriptionStatus.PROVISIONING, SubscriptionStatus.FAILED],
        ).update(status=status)

    return hook


@register(
    JobKind.PROVISION_SERVICE,
    on_success=_set_subscription_status(SubscriptionStatus.ACTIVE),
    on_failure=_set_subscription_status(SubscriptionStatus.FAILED),
)
def provision_service(job: Job) -> list[Step]:
    """Provision a service to a customer (its group, ...) and apply it to its users."""
    subscription = _subscription(job)
    if subscription is None or subscription.status == SubscriptionStatus.DEPROVISIONING:
        return []  # taken away again before this job ran
    steps.require_provisioned(subscription.organisation)
    return service_steps(subscription)


def _deprovisioned(job: Job) -> None:
    CustomerService.objects.filter(
        pk=job.payload.get("subscription"), status=SubscriptionStatus.DEPROVISIONING
    ).delete()


@register(JobKind.DEPROVISION_SERVICE, on_success=_deprovisioned)
def deprovision_service(job: Job) -> list[Step]:
    """Take a service from its users, then remove it from the customer (its group, ...)."""
    subscription = _subscription(job)
    if subscription is None:
        return []
    steps.require_provisioned(subscription.organisation)
    kind = driver_for(subscription.service.service_type)
    users = list(
        User.objects.filter(
            pk__in=job.payload.get("user_ids", []), organisation=subscription.organisation
        ).select_related("organisation")
    )
    return [*kind.take(subscription, users), *kind.remove_customer(subscription)]


def _users(job: Job) -> list[User]:
    return list(
        User.objects.filter(
            pk__in=job.payload.get("user_ids", []), organisation=job.organisation_id
        )
        .select_related("organisation")
        .order_by("pk")
    )


def _sync_steps(users: list[User], subscriptions: list[CustomerService]) -> list[Step]:
    having: dict[int, set[int]] = defaultdict(set)
    for user_id, subscription_id in UserService.objects.filter(
        user__in=users, subscription__in=subscriptions
    ).values_list("user_id", "subscription_id"):
        having[subscription_id].add(user_id)
    result = []
    for subscription in subscriptions:
        kind = driver_for(subscription.service.service_type)
        holders = [u for u in users if u.pk in having[subscription.pk]]
        others = [u for u in users if u.pk not in having[subscription.pk]]
        if holders:
            result += kind.give(subscription, holders)
        if others:
            result += kind.take(subscription, others)
    return result


@register(JobKind.ASSIGN_SERVICES)
def assign_services(job: Job) -> list[Step]:
    """Make these users' services in the directory what the portal says now."""
    organisation = steps.require_provisioned(job.organisation)
    subscriptions = list(
        CustomerService.objects.filter(
            pk__in=job.payload.get("subscription_ids", []), organisation=organisation
        )
        .exclude(status=SubscriptionStatus.DEPROVISIONING)
        .select_related("service", "plan", "organisation")
    )
    return _sync_steps(_users(job), subscriptions)


# --- One user's account ----------------------------------------------------------------------


@register(JobKind.CHANGE_PASSWORD)
def change_password(job: Job) -> list[Step]:
    """The user's own new password (the portal's changed already)."""
    user = steps.job_user(job)
    return [steps.ensure_account(user), steps.set_password_step(user, must_change=False)]


@register(JobKind.UNLOCK_USER)
def unlock(job: Job) -> list[Step]:
    """Clear the account's lock-out."""
    user = steps.job_user(job)

    def run(ctx: StepContext) -> None:
        dn = steps.user_dn(ctx, user)
        unlock_user(ctx.conn, dn)
        ctx.touched(dn)

    return [Step(f"Unlock the account of {user.username}", run)]


@register(JobKind.SET_ADMINISTRATOR)
def set_administrator(job: Job) -> list[Step]:
    """Membership of the customer's Admins group follows the administrator flag."""
    user = steps.job_user(job)
    return steps.user_memberships(user)


# --- Bulk import -----------------------------------------------------------------------------


def _ensure_imported(ctx: StepContext, user: User, password: str | None):
    return ensure_user(
        ctx.conn,
        ctx.layout.users_ou(user.organisation),
        steps.user_spec(user),
        guid=user.directory_guid,
        password=password,
        enabled=steps.account_enabled(user),
        must_change_password=bool(password) and user.must_change_password,
    )


def _import_chunk(users: list[User]) -> Step:
    """Create (or check) these accounts with their passwords, and the portal's hashes."""

    def run(ctx: StepContext) -> None:
        secret = ctx.password()
        passwords = json.loads(secret) if secret else {}
        del secret
        mine = {user.pk: passwords.get(str(user.pk)) or None for user in users}
        del passwords
        created = 0
        new = [user for user in users if user.directory_guid is None]
        # New accounts in one batch (two searches for the chunk); the rest, and any the
        # batch declines (a name taken, a password refused), one by one as before.
        made = dict(zip((u.pk for u in new), steps.create_new(ctx, new, mine), strict=True))
        changed = []
        for user in users:
            result = made.get(user.pk)
            if result is None:
                try:
                    result = _ensure_imported(ctx, user, mine[user.pk])
                except PasswordRejectedError:
                    # The account was not kept; make it without a password, to be reset later.
                    mine[user.pk] = None
                    result = _ensure_imported(ctx, user, None)
                    ctx.note(f"the directory refused the password of {user.username}: reset it")
            if steps.anchor(user, result):
                changed.append(user)
            ctx.state.setdefault("user_dns", {})[user.pk] = result.dn
            created += result.created
        if changed:  # one statement for the chunk
            User.objects.bulk_update(changed, ["directory_guid", "directory_sam_account_name"])
        if ctx.job.secret:  # a retry after the passwords were erased keeps the hashes it has
            set_imported_passwords({pk: pw for pk, pw in mine.items() if pw})
        mine.clear()
        ctx.note(f"{created} created, {len(users) - created} already there")
        ctx.touched(ctx.layout.users_ou(users[0].organisation))

    return Step(f"Make the accounts of {users[0].username} … {users[-1].username}", run)


def _forget_passwords(ctx: StepContext) -> None:
    ctx.note("the passwords were erased from the job")


@register(JobKind.IMPORT_USERS)
def import_users(job: Job) -> list[Step]:
    """Create the imported users' accounts (100 per step), then their group memberships and
    services in batches, then erase the passwords."""
    organisation = steps.require_provisioned(job.organisation)
    users = _users(job)
    if not users:
        return []
    admins = [user for user in users if user.is_admin]
    code = organisation.code
    subscriptions = list(
        CustomerService.objects.filter(organisation=organisation, assignments__user__in=users)
        .exclude(status=SubscriptionStatus.DEPROVISIONING)
        .select_related("service", "plan", "organisation")
        .distinct()
    )
    return [
        *(_import_chunk(users[i : i + IMPORT_CHUNK]) for i in range(0, len(users), IMPORT_CHUNK)),
        group_membership_step(organisation, layout.all_users_group(code), users, member=True),
        *(
            [group_membership_step(organisation, layout.admins_group(code), admins, member=True)]
            if admins
            else []
        ),
        *_sync_steps(users, subscriptions),
        Step("Erase the passwords from the job", _forget_passwords, uses_secret=True),
    ]
