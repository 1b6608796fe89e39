"""The provisioning engine: runs `Job` rows through their plans.

- `run_job(job_id)`: claim the job (one conditional UPDATE; a partial unique index keeps
  two jobs of one target from running at once), run its plan's idempotent steps, log each
  one, and end it succeeded, failed, or queued again after a transient error.
- `sweep_jobs()`: re-send the messages of jobs stranded by a lost message or a dead worker.
- `StepContext`: what a step receives; `JobFailed`: the error a step raises for people.

Plans (what to do for each kind of job) live in `provisioning.plans`.
"""

from provisioning.engine.context import StepContext
from provisioning.engine.errors import JobFailed, LostClaim
from provisioning.engine.runner import run_job
from provisioning.engine.sweeper import sweep_jobs

__all__ = ["JobFailed", "LostClaim", "StepContext", "run_job", "sweep_jobs"]
