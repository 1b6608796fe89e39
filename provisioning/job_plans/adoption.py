"""The adoption preview job: read an existing tenant OU (paged) into the adoption's
preview. It writes nothing to the directory."""

from __future__ import annotations

from core.jobs import JobKind
from core.models import Job
from provisioning.actions.adoption import read_failed, read_tenant
from provisioning.engine.context import StepContext
from provisioning.job_plans.base import Step, register
from provisioning.models import Adoption, AdoptionState


def _failed(job: Job) -> None:
    read_failed(job.payload.get("adoption_id"), job.error)


@register(JobKind.ADOPTION_PREVIEW, on_failure=_failed)
def adoption_preview(job: Job) -> list[Step]:
    """Read the OU: its accounts, groups and password policy (reads only). The progress
    bar counts accounts read, a page at a time."""
    adoption = Adoption.objects.get(pk=job.payload["adoption_id"])

    def read(ctx: StepContext) -> None:
        preview = read_tenant(ctx.conn, adoption, progress=ctx.progress)
        Adoption.objects.filter(pk=adoption.pk).update(state=AdoptionState.READY, preview=preview)
        ctx.touched(adoption.ou_dn)
        ctx.note(
            f"{len(preview['users'])} accounts, {len(preview['groups'])} groups, "
            f"{len(preview['problems'])} problem(s)"
        )

    return [Step(f"Read {adoption.ou_dn}", read)]
