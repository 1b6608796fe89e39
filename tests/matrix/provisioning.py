"""Matrix rows for the job pages (provisioning:)."""

from __future__ import annotations

from tests.matrix.shapes import MANAGES_CUSTOMER_ONE_JOBS, SEES_CUSTOMER_ONE, Row


def _job_state(cast):
    from core.models import Job

    return Job.objects.get(pk=cast.customer_job.pk).state


def _job_count(cast):
    from core.models import Job

    return Job.objects.filter(organisation=cast.customer).count()


ROWS: dict[str, Row] = {
    "provisioning:job_list": Row(),
    "provisioning:organisation_choices": Row(query="?q=one"),
    "provisioning:job_detail": Row(
        args=lambda cast: [cast.customer_job.pk], statuses=SEES_CUSTOMER_ONE
    ),
    # The matrix job is queued: retry answers "only a failed job" (302 with a message),
    # cancel cancels it (rolled back after each role); help desk may see but not manage.
    "provisioning:job_retry": Row(
        method="post",
        args=lambda cast: [cast.customer_job.pk],
        statuses=MANAGES_CUSTOMER_ONE_JOBS,
        unchanged=_job_state,
    ),
    "provisioning:job_cancel": Row(
        method="post",
        args=lambda cast: [cast.customer_job.pk],
        statuses=MANAGES_CUSTOMER_ONE_JOBS,
        unchanged=_job_state,
    ),
    "provisioning:check_directory": Row(
        args=lambda cast: [cast.customer.pk], statuses=SEES_CUSTOMER_ONE
    ),
    "provisioning:repair_directory": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        statuses=MANAGES_CUSTOMER_ONE_JOBS,
        unchanged=_job_count,
    ),
}
