"""The reconcile job: compare an organisation with the directory, keep what was found as a
drift report, and in repair mode put it right (then compare again)."""

from __future__ import annotations

from core.jobs import JobKind
from core.models import Job
from provisioning.actions.jobs import RECONCILE_REPAIR
from provisioning.actions.reconcile import check_organisation, keep, kept_after_repair
from provisioning.engine.context import StepContext
from provisioning.job_plans import steps
from provisioning.job_plans.base import Step, register
from provisioning.job_plans.organisation import organisation_of, repair_steps


@register(JobKind.RECONCILE)
def reconcile(job: Job) -> list[Step]:
    """Compare with the directory and keep a drift report; in repair mode, repair what
    drifted and quarantine what the portal does not know."""
    organisation = steps.require_provisioned(organisation_of(job))
    repair = job.payload.get("mode") == RECONCILE_REPAIR

    def recheck(ctx: StepContext) -> None:
        after = check_organisation(organisation, ctx.conn)
        kept_after_repair(ctx.state["drift_report"], after)
        ctx.note(f"{len(after.drift)} difference(s) left")

    def compare(ctx: StepContext) -> None:
        report = check_organisation(organisation, ctx.conn, progress=ctx.progress)
        if report.error:
            ctx.note(report.error)
        ctx.state["drift_report"] = keep(report, job=job, repair=repair)
        ctx.note(f"{len(report.drift)} difference(s) in {report.checked} objects")
        ctx.touched(ctx.layout.organisation_dn(organisation))
        if repair and report.drift:
            ctx.then(
                [
                    *repair_steps(organisation, job),
                    Step(f"Compare {organisation.code} with the directory again", recheck),
                ]
            )

    return [Step(f"Compare {organisation.code} with the directory", compare)]
