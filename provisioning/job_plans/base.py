"""What a plan is: a list of idempotent steps for one kind of job, and the registry of plans.

See `provisioning.job_plans` (the package docstring) for how to add one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.registry import Registry

if TYPE_CHECKING:
    from core.models import Job
    from provisioning.engine.context import StepContext


@dataclass(frozen=True)
class Step:
    """One idempotent unit of directory work.

    ``message`` is what people read in the job's log ("Create the OU for Acme").
    ``run(ctx)`` does the work: it must leave the same directory whether it runs once,
    twice, or again after being interrupted half-way. It records the DNs it touched with
    ``ctx.touched(dn)``. ``uses_secret`` steps may call ``ctx.password()``; the engine
    erases the job's encrypted password as soon as such a step is done.
    """

    message: str
    run: Callable[[StepContext], None]
    uses_secret: bool = False


Builder = Callable[["Job"], list[Step]]
Hook = Callable[["Job"], None]


@dataclass(frozen=True)
class JobPlan:
    """How to run one kind of job.

    ``build(job)`` returns the steps, from the portal's state as it is now (it reads the
    database, never the directory); it runs again at every attempt, and every step runs
    again, so a retried job re-applies everything. ``on_success`` / ``on_failure`` run in
    the transaction that ends the job (organisation status changes go there).
    """

    kind: str
    build: Builder
    on_success: Hook | None = None
    on_failure: Hook | None = None
    description: str = ""


class UnknownJobKind(Exception):
    pass


PLANS: Registry[JobPlan] = Registry(
    duplicate="a plan for {!r} is already registered",
    missing="no plan is registered for jobs of kind {!r}",
    unknown=UnknownJobKind,
)


def register(
    kind: str, *, on_success: Hook | None = None, on_failure: Hook | None = None
) -> Callable[[Builder], Builder]:
    """Decorator: ``@register(JobKind.X)`` over ``def build(job) -> list[Step]``."""

    def decorate(build: Builder) -> Builder:
        PLANS.add(
            kind,
            JobPlan(
                kind=kind,
                build=build,
                on_success=on_success,
                on_failure=on_failure,
                description=(build.__doc__ or "").strip().splitlines()[0] if build.__doc__ else "",
            ),
        )
        return build

    return decorate


def plan_for(kind: str) -> JobPlan:
    return PLANS.lookup(kind)
