"""Plans for one user's account: create, update, enable, disable, reset password, delete."""

from __future__ import annotations

import uuid

from core.jobs import JobKind
from core.models import Job
from customers.models import User
from directory import delete_user
from provisioning.engine.context import StepContext
from provisioning.job_plans import steps
from provisioning.job_plans.base import Step, register


@register(JobKind.CREATE_USER)
def create_user(job: Job) -> list[Step]:
    """Create the account (with the password given, if any) and its group memberships."""
    user = steps.job_user(job)
    return [steps.ensure_account(user, with_password=True), *steps.user_memberships(user)]


def _sync(job: Job) -> list[Step]:
    user = steps.job_user(job)
    return [steps.ensure_account(user), *steps.user_memberships(user)]


@register(JobKind.UPDATE_USER)
def update_user(job: Job) -> list[Step]:
    """Make the account match the portal: names, UPN, mail, enabled, memberships."""
    return _sync(job)


@register(JobKind.ENABLE_USER)
def enable_user(job: Job) -> list[Step]:
    """Enable the account (it stays disabled while its organisation is suspended)."""
    return _sync(job)


@register(JobKind.DISABLE_USER)
def disable_user(job: Job) -> list[Step]:
    """Disable the account."""
    return _sync(job)


@register(JobKind.RESET_PASSWORD)
def reset_password(job: Job) -> list[Step]:
    """Set the password given (optionally "must change at next sign-in")."""
    user = steps.job_user(job)
    must_change = bool(job.payload.get("must_change", user.must_change_password))
    return [steps.ensure_account(user), steps.set_password_step(user, must_change=must_change)]


@register(JobKind.DELETE_USER)
def delete_user_account(job: Job) -> list[Step]:
    """Delete the account (found by GUID inside the organisation's OU, else by UPN inside
    its Users OU)."""
    organisation = steps.require_provisioned(job.organisation)
    guid_text = job.payload.get("directory_guid") or (
        str(job.user.directory_guid) if job.user and job.user.directory_guid else ""
    )
    upn = job.payload.get("upn") or (job.user.upn if job.user else "")

    username = job.payload.get("username") or upn or guid_text

    def run(ctx: StepContext) -> None:
        guid = uuid.UUID(guid_text) if guid_text else None
        entry = steps.find_account(ctx, organisation, guid, upn, username)
        if entry is None:
            ctx.note("already gone")
            return
        delete_user(ctx.conn, entry["dn"])
        ctx.touched(entry["dn"])
        if job.user_id:
            User.objects.filter(pk=job.user_id).update(directory_guid=None)

    return [Step(f"Delete the account {upn or guid_text}", run)]
