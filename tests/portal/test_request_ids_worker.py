"""The same trail through a real Celery worker process, read from its JSON log."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest
from django.test import Client
from django.urls import reverse

from core.models import Job, JobState
from tests.portal.test_sign_in_throttling import WRONG
from tests.provisioning.test_faults import broker, finished  # noqa: F401 (broker: a fixture)
from tests.provisioning.workers import Worker, worker_environment

pytestmark = [pytest.mark.directory, pytest.mark.serial, pytest.mark.django_db(transaction=True)]


def test_the_workers_json_log_carries_the_clicks_request_id_down_to_the_ldap_error(
    broker,  # noqa: F811
    directory_settings,
    tenants,
    samba_dc,
    test_ou,
    tmp_path,
    caplog,
):
    # The worker binds with a password the DC refuses: the job fails with the LDAP error.
    refused = dataclasses.replace(samba_dc, password=WRONG)
    log_path = tmp_path / "worker.log"
    worker = Worker(worker_environment(refused, test_ou, LOG_FORMAT="json"), log_path)
    try:
        worker.wait_ready()
        provider = tenants.organisation(is_reseller=True)
        admin = tenants.user(provider, role="Provider Admin", is_admin=True)
        client = Client()
        client.force_login(admin, backend="portal.auth.UsernameOrUpnBackend")
        caplog.set_level(logging.INFO)
        response = client.post(reverse("customers:provision", args=[provider.pk]))
        request_id = response["X-Request-ID"]
        job = Job.objects.get(organisation=provider)
        assert finished(job.pk).state == JobState.FAILED
    finally:
        worker.stop()

    assert any(r.request_id == request_id for r in caplog.records)
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    of_the_job = [line for line in lines if line["job_id"] == job.pk]
    assert of_the_job, log_path.read_text()[-3000:]
    assert {line["request_id"] for line in of_the_job} == {request_id}
    assert any(
        "failed:" in line["message"] and "invalidCredentials" in line["message"]
        for line in of_the_job
    )
