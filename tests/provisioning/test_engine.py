"""The engine's promises, one at a time: claim once, one job per target, retry what is
transient, fail in plain words, never strand a job."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.actors import SYSTEM
from core.credentials import encrypt_secret
from core.jobs import request_job
from core.models import Job, JobState
from customers.actions.lifecycle import provision_organisation
from customers.models import Status
from directory import PermanentDirectoryError, TransientDirectoryError
from provisioning.actions.jobs import cancel_job, retry_job
from provisioning.engine import rows
from provisioning.engine.backoff import retry_delay
from provisioning.engine.errors import JobFailed, LostClaim
from provisioning.engine.runner import run_job
from provisioning.engine.sweeper import sweep_jobs
from provisioning.job_plans import PLANS, Step, register

pytestmark = pytest.mark.django_db

TEST_KIND = "test_scripted"
# What the scripted plan's single step does next: a list of callables popped per run.
SCRIPT: list = []


def _scripted(job):
    def run(ctx):
        action = SCRIPT.pop(0) if SCRIPT else None
        if action is not None:
            action(ctx)
        ctx.touched("CN=example")

    return [Step("Scripted step", run), Step("Second step", lambda ctx: None)]


if TEST_KIND not in PLANS:
    register(TEST_KIND)(_scripted)


@pytest.fixture
def scripted(settings, cast, monkeypatch):
    """A job of the scripted kind on Customer One; a fake directory that is "configured"."""
    settings.DIRECTORY_URL = "ldaps://127.0.0.1:636"
    settings.DIRECTORY_BASE_DN = "DC=canopy,DC=test"
    settings.DIRECTORY_TENANTS_ROOT = "OU=Tenants,DC=canopy,DC=test"
    settings.JOB_MAX_ATTEMPTS = 3
    sent = []
    monkeypatch.setattr(rows, "send", lambda job_id, countdown=None: sent.append(job_id))
    SCRIPT.clear()
    job = request_job(kind=TEST_KIND, organisation=cast.customer, actor=cast.customer_admin)
    job.sent = sent
    yield job
    SCRIPT.clear()


def fresh(job):
    job.refresh_from_db()
    return job


def raise_(exc):
    def action(ctx):
        raise exc

    return action


def test_a_job_is_claimed_by_one_worker_only(scripted):
    first = rows.claim(scripted.pk, "worker-a")
    second = rows.claim(scripted.pk, "worker-b")

    assert first is not None and first.attempt == 1
    assert second is None
    assert fresh(scripted).worker == "worker-a"


def test_two_jobs_for_one_customer_never_run_at_once(scripted, cast):
    other = request_job(kind=TEST_KIND, organisation=cast.customer, actor=SYSTEM)
    assert rows.claim(scripted.pk, "worker-a") is not None

    assert rows.claim(other.pk, "worker-b") is None
    assert fresh(other).state == JobState.QUEUED


def test_a_job_for_another_customer_runs_meanwhile(scripted, cast):
    other = request_job(kind=TEST_KIND, organisation=cast.customer2, actor=SYSTEM)
    assert rows.claim(scripted.pk, "worker-a") is not None

    assert rows.claim(other.pk, "worker-b") is not None


def test_jobs_of_one_customer_run_in_the_order_they_were_made(scripted, cast):
    later = request_job(kind=TEST_KIND, organisation=cast.customer, actor=SYSTEM)

    assert rows.claim(later.pk, "worker-b") is None
    assert run_job(scripted.pk) == "succeeded"
    assert run_job(later.pk) == "succeeded"


def test_a_finished_job_hands_over_to_the_next_one_of_its_customer(scripted, cast):
    later = request_job(kind=TEST_KIND, organisation=cast.customer, actor=SYSTEM)
    rows.kick_next(scripted.lock_key)

    assert scripted.sent == [scripted.pk]  # the older one is first in line
    run_job(scripted.pk)
    rows.kick_next(scripted.lock_key)
    assert scripted.sent[-1] == later.pk


def test_each_step_is_logged_with_what_it_touched(scripted):
    assert run_job(scripted.pk) == "succeeded"

    job = fresh(scripted)
    assert job.state == JobState.SUCCEEDED
    assert (job.steps_done, job.steps_total) == (2, 2)
    step = next(entry for entry in job.log if entry.get("step") == 1)
    assert step["message"] == "Scripted step"
    assert step["objects"] == ["CN=example"]
    assert job.started and job.finished and job.attempts == 1


def test_a_transient_error_queues_the_job_again_with_backoff(scripted):
    SCRIPT.append(raise_(TransientDirectoryError("the directory is busy", result=51)))

    assert run_job(scripted.pk) == "retrying"

    job = fresh(scripted)
    assert job.state == JobState.QUEUED
    assert job.attempts == 1
    assert job.run_after > timezone.now()
    assert "Waiting to try again" in job.error
    assert run_job(scripted.pk) == "skipped"  # not due yet


def test_a_job_that_keeps_failing_transiently_gives_up_at_the_limit(scripted, settings):
    for _ in range(settings.JOB_MAX_ATTEMPTS):
        SCRIPT.append(raise_(TransientDirectoryError("the directory is unavailable", result=52)))
    outcomes = []
    for _ in range(settings.JOB_MAX_ATTEMPTS):
        outcomes.append(run_job(scripted.pk))
        Job.objects.filter(pk=scripted.pk).update(run_after=None)

    assert outcomes == ["retrying", "retrying", "failed"]
    job = fresh(scripted)
    assert job.state == JobState.FAILED
    assert job.error.startswith("Gave up after 3 attempts")
    assert "the directory is unavailable" in job.error


def test_backoff_grows_exponentially_with_jitter_and_a_ceiling(settings):
    settings.JOB_RETRY_BASE_SECONDS = 2
    settings.JOB_RETRY_MAX_SECONDS = 60

    class Fixed:
        def __init__(self, value):
            self.value = value

        def random(self):
            return self.value

    assert retry_delay(1, rng=Fixed(0)) == 1
    assert retry_delay(1, rng=Fixed(1)) == 2
    assert retry_delay(4, rng=Fixed(1)) == 16
    assert retry_delay(20, rng=Fixed(1)) == 60
    assert 30 <= retry_delay(20) <= 60


def test_a_permanent_error_fails_the_job_with_a_readable_message(scripted):
    SCRIPT.append(
        raise_(
            PermanentDirectoryError(
                "the directory refused a value", result=19, operation="add", dn="CN=x"
            )
        )
    )

    assert run_job(scripted.pk) == "failed"

    job = fresh(scripted)
    assert job.error.startswith("Scripted step: add CN=x: the directory refused a value")
    assert job.log[-1]["level"] == "error"


def test_a_job_failed_says_what_to_do(scripted):
    SCRIPT.append(raise_(JobFailed("Give the user a UPN.")))

    run_job(scripted.pk)

    assert fresh(scripted).error == "Scripted step: Give the user a UPN."


def test_a_bug_fails_the_job_without_showing_the_traceback(scripted, caplog):
    SCRIPT.append(raise_(KeyError("secret internals")))

    assert run_job(scripted.pk) == "failed"

    job = fresh(scripted)
    assert "internal error" in job.error
    assert "secret internals" not in job.error
    assert "Traceback" in caplog.text or any(r.exc_info for r in caplog.records)


def test_a_failed_job_can_be_retried_and_then_succeeds(scripted, cast):
    SCRIPT.append(raise_(JobFailed("Not yet.")))
    run_job(scripted.pk)

    retry_job(actor=cast.customer_admin, job=fresh(scripted))

    job = fresh(scripted)
    assert (job.state, job.error, job.attempts) == (JobState.QUEUED, "", 0)
    assert run_job(scripted.pk) == "succeeded"


def test_only_failed_jobs_can_be_retried(scripted, cast):
    with pytest.raises(ValidationError):
        retry_job(actor=cast.customer_admin, job=scripted)


def test_a_queued_job_can_be_cancelled_and_never_runs(scripted, cast):
    cancel_job(actor=cast.customer_admin, job=scripted)

    assert fresh(scripted).state == JobState.CANCELLED
    assert run_job(scripted.pk) == "skipped"


def test_a_running_job_cannot_be_cancelled(scripted, cast):
    rows.claim(scripted.pk, "worker-a")

    with pytest.raises(ValidationError):
        cancel_job(actor=cast.customer_admin, job=fresh(scripted))


def test_help_desk_may_not_retry_or_cancel(scripted, cast):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        cancel_job(actor=cast.help_desk, job=scripted)


def test_a_worker_that_lost_its_job_stops_without_touching_it(scripted):
    def taken_over(ctx):
        Job.objects.filter(pk=scripted.pk).update(worker="someone-else")
        ctx.flush(force=True)

    SCRIPT.append(taken_over)
    assert run_job(scripted.pk) == "lost"
    assert fresh(scripted).worker == "someone-else"


def test_update_running_refuses_a_lost_claim(scripted):
    claim = rows.claim(scripted.pk, "worker-a")
    Job.objects.filter(pk=scripted.pk).update(attempts=5)

    with pytest.raises(LostClaim):
        rows.update_running(claim, steps_done=1)


def test_the_sweeper_requeues_a_job_whose_worker_died(scripted, settings):
    rows.claim(scripted.pk, "dead-worker")
    old = timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS + 5)
    Job.objects.filter(pk=scripted.pk).update(heartbeat=old)

    assert sweep_jobs() == [scripted.pk]

    job = fresh(scripted)
    assert job.state == JobState.QUEUED
    assert "stopped answering" in job.log[-1]["message"]
    assert scripted.sent == [scripted.pk]
    assert run_job(scripted.pk) == "succeeded"
    assert fresh(scripted).attempts == 2


def test_the_sweeper_resends_a_queued_job_whose_message_was_lost(scripted, settings):
    old = timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS + 5)
    Job.objects.filter(pk=scripted.pk).update(created=old)

    assert sweep_jobs() == [scripted.pk]
    assert sweep_jobs() == []  # it just got a message: not stale any more


def test_the_sweeper_leaves_fresh_and_running_jobs_alone(scripted):
    assert sweep_jobs() == []
    rows.claim(scripted.pk, "worker-a")
    assert sweep_jobs() == []


def test_a_job_interrupted_too_often_is_given_up(scripted, settings):
    Job.objects.filter(pk=scripted.pk).update(attempts=settings.JOB_MAX_ATTEMPTS)

    assert run_job(scripted.pk) == "failed"
    assert "interrupted" in fresh(scripted).error


def test_without_a_directory_a_provisioning_job_fails_plainly_and_can_be_retried(cast, settings):
    settings.DIRECTORY_URL = ""
    job = provision_organisation(actor=SYSTEM, organisation=cast.reseller2)

    assert run_job(job.pk) == "failed"

    job = fresh(job)
    assert job.error.startswith("No directory is connected")
    cast.reseller2.refresh_from_db()
    assert cast.reseller2.status == Status.FAILED
    retry_job(actor=cast.provider_admin, job=job)
    cast.reseller2.refresh_from_db()
    assert cast.reseller2.status == Status.PROVISIONING
    assert fresh(job).state == JobState.QUEUED


def test_cancelling_a_queued_provisioning_leaves_the_customer_failed(cast):
    job = provision_organisation(actor=SYSTEM, organisation=cast.reseller2)

    cancel_job(actor=cast.provider_admin, job=job)

    cast.reseller2.refresh_from_db()
    assert cast.reseller2.status == Status.FAILED


def test_a_job_that_fails_for_good_erases_its_password(scripted, cast):
    """Issue 9, hole 10: a failed job kept its encrypted password forever."""
    job = request_job(
        kind=TEST_KIND,
        organisation=cast.customer,
        actor=cast.customer_admin,
        secret=encrypt_secret("Known-to-help-desk-1"),
    )
    SCRIPT.append(raise_(JobFailed("Not possible.")))
    run_job(scripted.pk)  # the scripted job runs first: jobs of one customer run in order
    SCRIPT.append(raise_(JobFailed("Not possible.")))

    assert run_job(job.pk) == "failed"

    assert fresh(job).secret == ""


def test_retrying_a_failed_job_whose_password_was_erased_asks_for_a_new_password(scripted, cast):
    job = request_job(
        kind=TEST_KIND,
        organisation=cast.customer,
        actor=cast.customer_admin,
        secret=encrypt_secret("Known-to-help-desk-1"),
    )
    SCRIPT.extend([None, raise_(JobFailed("Not possible."))])
    run_job(scripted.pk)
    run_job(job.pk)

    with pytest.raises(ValidationError, match="Set a new password"):
        retry_job(actor=cast.customer_admin, job=fresh(job))
    assert fresh(job).state == JobState.FAILED


def test_an_old_reset_without_its_password_is_not_retried(cast):
    """A reset that failed before its password was erased on failure has none left."""
    job = Job.objects.create(
        kind="reset_password",
        organisation=cast.customer,
        user=cast.end_user,
        target_label="enduser",
        lock_key=f"org:{cast.customer.pk}",
        state=JobState.FAILED,
        error="boom",
    )
    with pytest.raises(ValidationError, match="Set a new password"):
        retry_job(actor=cast.customer_admin, job=job)
