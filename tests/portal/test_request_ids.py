"""Request ids and job ids, end to end: from the click to the worker's LDAP error."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client
from django.urls import reverse

from core import tracing
from core.models import Job
from provisioning.engine.runner import run_job
from tests.portal.test_sign_in_throttling import WRONG

pytestmark = pytest.mark.django_db


def test_every_response_carries_a_fresh_request_id():
    ids = {Client().get(reverse("login"))["X-Request-ID"] for _ in range(2)}
    assert len(ids) == 2
    assert all(tracing.acceptable_request_id(value) for value in ids)


def test_a_clients_x_request_id_is_ignored_unless_the_proxys_header_is_configured(settings):
    given = "lb-7f3a9c0e-1"
    assert Client().get(reverse("login"), headers={"X-Request-ID": given})["X-Request-ID"] != given
    settings.REQUEST_ID_HEADER = "X-Request-ID"
    assert Client().get(reverse("login"), headers={"X-Request-ID": given})["X-Request-ID"] == given
    odd = Client().get(reverse("login"), headers={"X-Request-ID": 'a b"<script>'})
    assert odd["X-Request-ID"] != 'a b"<script>'
    assert tracing.acceptable_request_id(odd["X-Request-ID"])


def test_json_lines_carry_the_ids():
    formatter = tracing.JsonFormatter()
    with tracing.job_context(42, "ABC123"):
        record = logging.getLogger("canopy.test").makeRecord(
            "canopy.test", logging.INFO, __file__, 1, "hello %s", ("there",), None
        )
    line = json.loads(formatter.format(record))
    assert line["message"] == "hello there"
    assert (line["request_id"], line["job_id"], line["level"]) == ("ABC123", 42, "INFO")


@pytest.mark.directory
def test_a_failed_provisioning_is_followed_from_the_click_to_the_ldap_error(
    directory_settings, tenants, caplog
):
    """The web's log lines of the click and the worker's of the job share the request id;
    the worker's also carry the job id, and one of them the directory's own error."""
    provider = tenants.organisation(is_reseller=True)
    admin = tenants.user(provider, role="Provider Admin", is_admin=True)
    client = Client()
    client.force_login(admin, backend="portal.auth.UsernameOrUpnBackend")
    caplog.set_level(logging.INFO)

    response = client.post(reverse("customers:provision", args=[provider.pk]))
    assert response.status_code == 302
    request_id = response["X-Request-ID"]
    job = Job.objects.get(organisation=provider)
    assert job.request_id == request_id
    web = [r for r in caplog.records if r.request_id == request_id]
    assert any(f"job {job.pk} (" in r.getMessage() for r in web)
    assert all(r.job_id is None and r.user_id == admin.pk for r in web)
    # Whoever looks at the job finds the reference to search the logs for.
    page = client.get(job.get_absolute_url()).content.decode()
    assert f"<code data-reference>{request_id}</code>" in page

    caplog.clear()
    directory_settings.DIRECTORY_PASSWORD = WRONG  # the DC refuses the worker's bind
    assert run_job(job.pk) == "failed"
    worker = caplog.records
    assert worker and all((r.job_id, r.request_id) == (job.pk, request_id) for r in worker), [
        (r.name, r.job_id, r.request_id, r.getMessage()) for r in worker
    ]
    (failure,) = [r for r in worker if "failed:" in r.getMessage()]
    assert "invalidCredentials" in failure.getMessage()
    # Outside the job, nothing is stamped with it any more.
    assert tracing.job_id.get() is None and tracing.request_id.get() == ""
