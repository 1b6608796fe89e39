"""Steps service types are made of: the service's group, batch membership, user attributes.

All of them are idempotent and work on many users at once: a membership step reads the
group's members once and changes only the difference, in requests of at most 1,000 values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from customers.models import CustomerService, Organisation, User
from directory import (
    add_members,
    delete_group,
    dn_of,
    remove_members,
    set_account_attributes,
)
from provisioning.engine.context import StepContext
from provisioning.job_plans import layout, steps
from provisioning.job_plans.base import Step

USERS_PER_STEP = 100  # per-user attribute changes: one step (one progress tick) per chunk


def group_name(subscription: CustomerService) -> str:
    return layout.service_group(subscription.organisation.code, subscription.service.code)


def group_key(subscription: CustomerService) -> str:
    return f"group:{subscription.service.code}"


def ensure_service_group(subscription: CustomerService) -> Step:
    """``CN=<customer code>-<service code>`` in the customer's Groups OU."""
    organisation, service = subscription.organisation, subscription.service
    return steps.ensure_organisation_group(
        organisation,
        group_name(subscription),
        group_key(subscription),
        f"Users of {service.name} at {organisation.name}"[:1024],
    )


def group_dn(ctx: StepContext, subscription: CustomerService) -> str:
    """Where the service's group is now (found by its remembered GUID, else by name)."""
    organisation = subscription.organisation
    guid = layout.recalled_guid(organisation, group_key(subscription))
    found = dn_of(ctx.conn, guid) if guid is not None else None
    return found or ctx.layout.group_dn(organisation, group_name(subscription))


def set_membership(ctx: StepContext, group: str, member_dns: Sequence[str], member: bool) -> int:
    """Put ``member_dns`` in (or take them out of) ``group``; returns how many changed."""
    change = add_members if member else remove_members
    return change(ctx.conn, group, member_dns)


def _membership(
    users: list[User], member: bool, name: str, where: Callable[[StepContext], str]
) -> Step:
    def run(ctx: StepContext) -> None:
        dn = where(ctx)
        accounts = [account_dn(ctx, user) for user in users]
        changed = set_membership(ctx, dn, [a for a in accounts if a], member)
        ctx.note(f"{changed} {'added' if member else 'removed'}")
        ctx.touched(dn)

    who = users[0].username if len(users) == 1 else f"{len(users)} users"
    return Step(f"{'Put' if member else 'Keep'} {who} {'in' if member else 'out of'} {name}", run)


def membership_step(subscription: CustomerService, users: list[User], *, member: bool) -> Step:
    """The users in (``member``) or out of the service's group."""
    return _membership(
        users, member, group_name(subscription), lambda ctx: group_dn(ctx, subscription)
    )


def group_membership_step(
    organisation: Organisation, group: str, users: list[User], *, member: bool
) -> Step:
    """The users in or out of one of the organisation's own groups (AllUsers, Admins)."""
    return _membership(users, member, group, lambda ctx: ctx.layout.group_dn(organisation, group))


def account_dn(ctx: StepContext, user: User) -> str | None:
    """The user's account DN, or None when it does not exist (yet, or any more)."""
    if user.directory_guid is None and user.pk not in ctx.state.get("user_dns", {}):
        ctx.note(f"{user.username} has no account yet")
        return None
    return steps.user_dn(ctx, user)


def delete_service_group(subscription: CustomerService) -> Step:
    def run(ctx: StepContext) -> None:
        dn = group_dn(ctx, subscription)
        ctx.note("deleted" if delete_group(ctx.conn, dn) else "already gone")
        layout.forget(subscription.organisation, group_key(subscription))
        ctx.touched(dn)

    return Step(f"Delete the group {group_name(subscription)}", run)


Attributes = Callable[[User], dict[str, list[str]]]


def attribute_steps(users: list[User], values: Attributes, what: str) -> list[Step]:
    """Set (replace) per-user attributes, one step per ``USERS_PER_STEP`` users.

    ``values(user)`` gives ``{attribute: [values]}``; an empty list removes the attribute
    (a replace with no values is a no-op on an absent attribute, so this is idempotent).
    """

    def chunk_step(chunk: list[User]) -> Step:
        def run(ctx: StepContext) -> None:
            done = 0
            for user in chunk:
                dn = account_dn(ctx, user)
                if dn is None:
                    continue
                set_account_attributes(ctx.conn, dn, values(user))
                ctx.touched(dn)
                done += 1
            ctx.note(f"{done} accounts")

        who = chunk[0].username if len(chunk) == 1 else f"{len(chunk)} users"
        return Step(f"{what} for {who}", run)

    return [
        chunk_step(users[start : start + USERS_PER_STEP])
        for start in range(0, len(users), USERS_PER_STEP)
    ]
