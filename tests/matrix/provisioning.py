"""Matrix rows for the job pages (provisioning:)."""

from __future__ import annotations

from tests.matrix.shapes import (
    CREATES_CUSTOMERS,
    MANAGES_CUSTOMER_ONE_JOBS,
    SEES_CUSTOMER_ONE,
    Row,
    as_post,
    expect,
)


def _job_state(cast):
    from core.models import Job

    return Job.objects.get(pk=cast.customer_job.pk).state


def _job_count(cast):
    from core.models import Job

    return Job.objects.filter(organisation=cast.customer).count()


def _quarantined(cast):
    """A stray account a repair set aside in Customer One."""
    import uuid

    from core.models import QuarantinedObject

    return QuarantinedObject.objects.get_or_create(
        organisation=cast.customer,
        guid=uuid.UUID("00000000-0000-4000-8000-00000000a001"),
        defaults={
            "kind": QuarantinedObject.ACCOUNT,
            "name": "matrixstray",
            "dn": "CN=matrixstray,OU=Quarantine",
            "reason": "Quarantined by Canopy: not in the portal",
        },
    )[0]


def _quarantine_state(cast):
    from core.models import QuarantinedObject

    return QuarantinedObject.objects.get(pk=_quarantined(cast).pk).state


def _adoption(cast):
    """A tenant being adopted below Reseller One (its OU not read yet)."""
    from provisioning.models import Adoption

    return Adoption.objects.get_or_create(
        parent=cast.reseller, ou_dn="OU=LEGACY,OU=Hosting,DC=canopy,DC=test"
    )[0]


ROWS: dict[str, Row] = {
    "provisioning:adoption_start": Row(statuses=CREATES_CUSTOMERS),
    # Only those who may create customers below Reseller One see its adoptions.
    "provisioning:adoption_detail": Row(
        args=lambda cast: [_adoption(cast).pk],
        statuses=expect(200, reseller2_admin=404, customer_admin=404, help_desk=404, end_user=404),
    ),
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
    # The customer page's Information tab: whoever sees the customer (jobs and accounts only
    # for who may see those).
    "provisioning:customer_information": Row(
        args=lambda cast: [cast.customer.pk], statuses=SEES_CUSTOMER_ONE
    ),
    "provisioning:check_directory": Row(
        args=lambda cast: [cast.customer.pk], statuses=SEES_CUSTOMER_ONE
    ),
    # Anyone who sees the jobs may start a check (it only reads); repairing is managing.
    "provisioning:run_check": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        statuses=as_post(SEES_CUSTOMER_ONE),
        unchanged=_job_count,
    ),
    # Adopting creates a user (add_users); deleting an account for good, delete_users.
    "provisioning:quarantine_adopt": Row(
        method="post",
        args=lambda cast: [_quarantined(cast).pk],
        statuses=MANAGES_CUSTOMER_ONE_JOBS,
        unchanged=_quarantine_state,
    ),
    "provisioning:quarantine_delete": Row(
        method="post",
        args=lambda cast: [_quarantined(cast).pk],
        statuses=MANAGES_CUSTOMER_ONE_JOBS,
        unchanged=_quarantine_state,
    ),
    "provisioning:repair_directory": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        statuses=MANAGES_CUSTOMER_ONE_JOBS,
        unchanged=_job_count,
    ),
}
