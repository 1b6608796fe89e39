"""The reconcile job: compare an organisation with the directory, keep what was found as a
drift report, and in repair mode put it right (then compare again)."""

from __future__ import annotations

from dataclasses import asdict

from core.jobs import JobKind
from core.models import DriftReport, Job
from provisioning.actions.jobs import RECONCILE_REPAIR
from provisioning.actions.reconcile import Report, check_organisation
from provisioning.engine.context import StepContext
from provisioning.job_plans import steps
from provisioning.job_plans.base import Step, register
from provisioning.job_plans.organisation import organisation_of, repair_steps


def _differences(report: Report) -> list[dict[str, str]]:
    return [asdict(drift) for drift in report.drift]


@register(JobKind.RECONCILE)
def reconcile(job: Job) -> list[Step]:
    """Compare with the directory and keep a drift report; in repair mode, repair what
    drifted and quarantine what the portal does not know."""
    organisation = steps.require_provisioned(organisation_of(job))
    repair = job.payload.get("mode") == RECONCILE_REPAIR

    def recheck(ctx: StepContext) -> None:
        after = check_organisation(organisation, ctx.conn)
        DriftReport.objects.filter(pk=ctx.state["drift_report"]).update(
            remaining=len(after.drift), error=after.error
        )
        ctx.note(f"{len(after.drift)} difference(s) left")

    def compare(ctx: StepContext) -> None:
        report = check_organisation(organisation, ctx.conn)
        if report.error:
            ctx.note(report.error)
        drift = DriftReport.objects.create(
            organisation=organisation,
            job=job,
            repair=repair,
            differences=_differences(report),
            found=len(report.drift),
            remaining=len(report.drift),
            checked=report.checked,
            error=report.error,
        )
        ctx.state["drift_report"] = drift.pk
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
