"""Job plans: what the engine does for each kind of job, as a list of idempotent steps.

A job plan is a function ``build(job) -> list[Step]`` registered for a job kind. The engine
(`provisioning.engine`) calls it at every attempt, from the portal's state as it is then,
and runs every step in order, logging each one (with the DNs it touched) and counting
progress. A step must be idempotent: it may run twice, or again after the worker died
half-way, or at the same time as the same step of a repair job.

Adding a kind of job (for example "give a service to a user")
----------------------------------------------------------------

1. Name the kind (add it to ``core.jobs.JobKind``) and request jobs with
   ``core.jobs.request_job(kind=..., organisation=..., actor=..., user=..., payload={...})``
   or ``customers.actions.users.user_job(...)`` inside your action's transaction; the
   message is sent on commit and carries only the job id.
2. Write the job plan in a module of this package and import that module in
   ``ProvisioningConfig.ready`` so it registers at start-up::

       from provisioning.job_plans import Step, register
       from provisioning.job_plans import layout, steps

       @register("assign_service")
       def assign_service(job):
           '''Put the user in the service's group.'''
           user = User.objects.get(pk=job.user_id)
           org = steps.require_provisioned(user.organisation)
           group = layout.service_group(org.code, job.payload["service_code"])
           return [
               steps.ensure_organisation_group(
                   org, group, f"group:{job.payload['service_code']}", "VPN users"
               ),
               steps.ensure_account(user),
               steps.group_membership(org, user, group, member=True),
           ]

3. A step of your own is ``Step("What people read in the log", run)`` where
   ``run(ctx: StepContext)`` calls `directory` functions on ``ctx.conn`` with DNs from
   ``ctx.layout`` (never build a DN or filter yourself: `directory.dn` escapes them),
   records ``ctx.touched(dn)`` and, if useful, ``ctx.note("already there")``. Raise
   `provisioning.engine.errors.JobFailed("a sentence for people")` for an expected failure;
   `directory` raises transient errors (retried with backoff) and permanent ones
   (failed with their message) for you. ``ctx.then([...])`` adds steps discovered while
   running (one per account found); ``ctx.password()`` decrypts the job's password in a
   ``Step(..., uses_secret=True)`` (the engine erases it when that step is done);
   ``ctx.save_payload()`` keeps what a later attempt must know.
4. ``on_success=`` / ``on_failure=`` hooks on `register` run in the transaction that
   ends the job (status changes of the target go there).
5. Test it against the real DC: run the job in-process with
   ``provisioning.engine.runner.run_job(job.pk)`` (see tests/provisioning/).

Existing building blocks are in `provisioning.job_plans.steps` (OUs, groups, password policy,
UPN suffixes, accounts, memberships) and the names of things in `provisioning.job_plans.layout`.
"""

from provisioning.job_plans.base import PLANS, JobPlan, Step, UnknownJobKind, plan_for, register

__all__ = ["PLANS", "JobPlan", "Step", "UnknownJobKind", "plan_for", "register"]
