"""Plans for an organisation's lifecycle: provision, update, repair, suspend, resume,
deprovision."""

from __future__ import annotations

from core.jobs import JobKind
from core.models import Job, JobState
from customers.actions import lifecycle
from customers.models import Organisation, Status
from directory import Account, disable_user, enable_user, list_accounts
from provisioning.engine.context import StepContext
from provisioning.engine.errors import JobFailed
from provisioning.job_plans import layout, steps
from provisioning.job_plans.base import Step, register
from provisioning.job_plans.quarantine import quarantine_strays
from provisioning.job_plans.subscriptions import organisation_service_steps


def organisation_of(job: Job) -> Organisation:
    if job.organisation is None:
        raise JobFailed("The organisation of this job no longer exists.")
    return Organisation.objects.get(pk=job.organisation_id)


def _users(organisation: Organisation):
    # Service accounts act only in the portal, through API keys: no directory account.
    users = organisation.users.filter(is_service_account=False)
    return list(users.select_related("organisation").order_by("pk"))


def full_steps(organisation: Organisation) -> list[Step]:
    """Everything the portal says about the organisation, applied: structure, every user,
    exact group memberships, and its services (groups, members, attributes)."""
    users = _users(organisation)
    return [
        *steps.structure_steps(organisation),
        *steps.account_steps(users),
        *steps.organisation_memberships(organisation, users),
        *organisation_service_steps(organisation),
    ]


def _provisioned(job: Job) -> None:
    lifecycle.job_finished(
        job.organisation_id, expected={Status.PROVISIONING}, target=Status.ACTIVE, provisioned=True
    )


def _provision_failed(job: Job) -> None:
    lifecycle.job_finished(
        job.organisation_id, expected={Status.PROVISIONING}, target=Status.FAILED
    )


@register(JobKind.PROVISION_ORGANISATION, on_success=_provisioned, on_failure=_provision_failed)
def provision_organisation(job: Job) -> list[Step]:
    """Provision: OU under its parent's, Users and Groups OUs, AllUsers and Admins groups,
    password policy, UPN suffixes, and the users it already has."""
    return full_steps(organisation_of(job))


@register(JobKind.UPDATE_ORGANISATION)
def update_organisation(job: Job) -> list[Step]:
    """Apply an edit: description, domains (UPN suffixes) and password policy."""
    organisation = steps.require_provisioned(organisation_of(job))
    return steps.structure_steps(organisation)


def repair_steps(organisation: Organisation, job: Job | None = None) -> list[Step]:
    """Everything the portal says, applied again; then what it does not know, set aside."""
    return [*full_steps(organisation), quarantine_strays(organisation, job)]


@register(JobKind.REPAIR_ORGANISATION)
def repair_organisation(job: Job) -> list[Step]:
    """Repair drift: apply everything the portal says again (reconciliation) and quarantine
    the accounts and groups it does not know."""
    return repair_steps(steps.require_provisioned(organisation_of(job)), job)


# --- suspend and resume ----------------------------------------------------------------------


def _accounts(ctx: StepContext, organisation: Organisation) -> list[Account]:
    return list_accounts(ctx.conn, ctx.layout.users_ou(organisation))


def _name(account: Account) -> str:
    return account.upn or account.sam_account_name or account.dn


def _switch(account: Account, *, enable: bool) -> Step:
    dn = account.dn

    def run(ctx: StepContext) -> None:
        (enable_user if enable else disable_user)(ctx.conn, dn)
        ctx.touched(dn)

    return Step(f"{'Enable' if enable else 'Disable'} {_name(account)}", run)


@register(JobKind.SUSPEND_ORGANISATION)
def suspend_organisation(job: Job) -> list[Step]:
    """Suspend: remember which accounts are enabled, then disable every account."""
    organisation = steps.require_provisioned(organisation_of(job))

    def record(ctx: StepContext) -> None:
        accounts = _accounts(ctx, organisation)
        if "enabled_before" not in job.payload:
            # Written once: a second attempt (or a second suspend job while still suspended)
            # must not mistake our own disabling for the state before the suspension.
            earlier = _last_suspension(organisation, job)
            if earlier is not None:
                job.payload["enabled_before"] = earlier.payload["enabled_before"]
                job.payload["seen"] = earlier.payload.get("seen", [])
                ctx.note(f"already suspended by job {earlier.pk}; keeping its record")
            else:
                job.payload["enabled_before"] = [str(a.guid) for a in accounts if a.enabled]
                job.payload["seen"] = [str(a.guid) for a in accounts]
            ctx.save_payload()
        ctx.note(f"{len(job.payload['enabled_before'])} of {len(job.payload['seen'])} enabled")
        ctx.touched(ctx.layout.users_ou(organisation))
        ctx.then([_switch(a, enable=False) for a in accounts if a.enabled])

    return [Step("Record which accounts are enabled", record)]


def _last_suspension(
    organisation: Organisation, before: Job, *, in_force: bool = True
) -> Job | None:
    """The suspend job that recorded the accounts of the last suspension before ``before``;
    with ``in_force``, None if a resume has run since."""
    suspension = (
        Job.objects.filter(
            organisation=organisation,
            kind=JobKind.SUSPEND_ORGANISATION,
            pk__lt=before.pk,
            payload__has_key="enabled_before",
        )
        .exclude(state=JobState.CANCELLED)
        .order_by("-pk")
        .first()
    )
    if suspension is None or not in_force:
        return suspension
    resumed = Job.objects.filter(
        organisation=organisation,
        kind=JobKind.RESUME_ORGANISATION,
        pk__gt=suspension.pk,
        pk__lt=before.pk,
        state=JobState.SUCCEEDED,
    ).exists()
    return None if resumed else suspension


@register(JobKind.RESUME_ORGANISATION)
def resume_organisation(job: Job) -> list[Step]:
    """Resume: enable again exactly the accounts that were enabled before the suspension
    (and accounts made since), except users disabled in the portal meanwhile."""
    organisation = steps.require_provisioned(organisation_of(job))

    def find(ctx: StepContext) -> None:
        suspension = _last_suspension(organisation, job, in_force=False)
        if suspension is not None and _last_suspension(organisation, job) is None:
            ctx.note("already resumed since the last suspension: nothing to do")
            return
        portal = {
            str(user.directory_guid): user
            for user in organisation.users.exclude(directory_guid=None)
        }
        accounts = _accounts(ctx, organisation)
        if suspension is None:
            ctx.note("no record of the suspension: enabling the accounts the portal has enabled")
            enabled_before: set[str] = {g for g, user in portal.items() if user.is_active}
            seen: set[str] = set(enabled_before)
        else:
            enabled_before = set(suspension.payload.get("enabled_before", []))
            seen = set(suspension.payload.get("seen", []))
        chosen = []
        for account in accounts:
            guid = str(account.guid)
            user = portal.get(guid)
            if user is not None and not user.is_active:
                continue
            if guid in enabled_before or (guid not in seen and user is not None):
                chosen.append(account)
        ctx.note(f"{len(chosen)} to enable")
        ctx.touched(ctx.layout.users_ou(organisation))
        ctx.then([_switch(a, enable=True) for a in chosen if not a.enabled])

    return [Step("Find the accounts to enable again", find)]


# --- deprovision -----------------------------------------------------------------------------


def _deprovisioned(job: Job) -> None:
    lifecycle.job_finished(
        job.organisation_id,
        expected={Status.DEPROVISIONING},
        target=Status.DEPROVISIONED,
        then_delete=bool(job.payload.get("then_delete")),
    )


def _deprovision_failed(job: Job) -> None:
    lifecycle.job_finished(
        job.organisation_id, expected={Status.DEPROVISIONING}, target=Status.FAILED
    )


@register(
    JobKind.DEPROVISION_ORGANISATION, on_success=_deprovisioned, on_failure=_deprovision_failed
)
def deprovision_organisation(job: Job) -> list[Step]:
    """Deprovision: remove the password policy, the UPN suffixes no other organisation uses,
    then the whole OU tree."""
    organisation = organisation_of(job)
    suffixes = sorted(layout.remembered_suffixes(organisation))
    return [
        steps.remove_policy(organisation),
        *(steps.remove_suffix(organisation, name) for name in suffixes),
        steps.delete_organisation_tree(organisation),
        steps.forget_directory_objects(organisation),
    ]


@register(JobKind.MOVE_ORGANISATION)
def move_organisation(job: Job) -> list[Step]:
    """Its OU goes below the new parent's, found by objectGUID and renamed into place, with
    everything under it; the new parent's OUs are made first if they are missing."""
    return steps.structure_steps(steps.require_provisioned(organisation_of(job)))
