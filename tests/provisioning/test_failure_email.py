"""A job that failed for good e-mails its organisation's administrators, once per job."""

from __future__ import annotations

import pytest

from customers.models import NoticeKind
from directory import PermanentDirectoryError
from provisioning.actions.jobs import retry_job
from provisioning.engine.runner import run_job
from tests.factories import UserFactory
from tests.fixtures.smtp import run_mail_worker
from tests.provisioning.test_engine import SCRIPT, raise_, scripted  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def fail(job, django_capture_on_commit_callbacks) -> None:
    SCRIPT.append(raise_(PermanentDirectoryError("the OU is protected")))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert run_job(job.pk, worker="w1") == "failed"
    run_mail_worker(callbacks)


def test_the_admins_of_the_jobs_organisation_hear_once_that_it_failed(
    scripted,  # noqa: F811 (the engine tests' fixture)
    cast,
    smtp,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.PORTAL_URL = "https://portal.example"
    cast.customer_admin.email = "admin@c1.example"
    cast.customer_admin.save()
    quiet = UserFactory(organisation=cast.customer, email="off@c1.example", is_admin=True)
    quiet.email_opt_outs = [NoticeKind.JOB_FAILED]
    quiet.save()
    UserFactory(organisation=cast.customer, email="user@c1.example")  # not an admin
    cast.reseller_admin.email = "reseller@r1.example"  # an admin above: not told
    cast.reseller_admin.save()

    fail(scripted, django_capture_on_commit_callbacks)
    assert smtp.recipients == [["admin@c1.example"]]
    text = smtp.messages[0].get_body(("plain",)).get_content()
    assert "the OU is protected" in text
    assert f"https://portal.example/jobs/{scripted.pk}/" in text

    retry_job(actor=cast.customer_admin, job=scripted)
    fail(scripted, django_capture_on_commit_callbacks)
    assert len(smtp.messages) == 1  # a retry that fails again is not e-mailed again
