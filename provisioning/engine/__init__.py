"""The provisioning engine: runs `Job` rows through their job plans.

- `runner.run_job(job_id)`: claim the job (one conditional UPDATE; a partial unique index
  keeps two jobs of one target from running at once), run its plan's idempotent steps, log
  each one, and end it succeeded, failed, or queued again after a transient error.
- `sweeper.sweep_jobs()`: re-send the messages of jobs stranded by a lost message or a dead
  worker.
- `context.StepContext`: what a step receives; `errors.JobFailed`: the error a step raises
  for people.

Job plans (what to do for each kind of job) live in `provisioning.job_plans`. This package
re-exports nothing: job plans and service drivers import the step side (``context``,
``errors``) while the runner imports the job plans, and a re-export would join the two.
"""
