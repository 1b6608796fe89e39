"""/metrics: closed unless configured; request metrics and the engine's own in the scrape."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from core.actors import SYSTEM
from core.jobs import request_job
from core.models import Job
from provisioning.engine import rows
from provisioning.engine.runner import run_job
from provisioning.engine.sweeper import sweep_jobs

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-for-tests-0123456789"
ROOT = Path(__file__).resolve().parents[2]


def scrape(client: Client | None = None, **headers) -> dict[tuple[str, tuple], float]:
    response = (client or Client()).get(reverse("metrics"), headers=headers)
    assert response.status_code == 200, response.status_code
    return parse(response.content.decode())


def parse(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_closed_by_default_even_to_the_provider(cast, login):
    assert Client().get(reverse("metrics")).status_code == 403
    assert login(cast.provider_admin).get(reverse("metrics")).status_code == 403
    assert Client().get(reverse("metrics"), headers={"Authorization": "Bearer "}).status_code == 403


def test_a_bearer_token_opens_it_and_a_wrong_one_does_not(settings):
    settings.METRICS_TOKEN = TOKEN
    wrong = Client().get(reverse("metrics"), headers={"Authorization": f"Bearer {TOKEN}x"})
    assert wrong.status_code == 403
    samples = scrape(Authorization=f"Bearer {TOKEN}")
    assert any(name.startswith("django_http_requests") for name, _ in samples)


def test_an_allowed_network_opens_it_and_others_do_not(settings):
    settings.METRICS_ALLOWED_IPS = [ipaddress.ip_network("10.0.0.0/8")]
    assert Client().get(reverse("metrics")).status_code == 403
    assert Client(REMOTE_ADDR="10.1.2.3").get(reverse("metrics")).status_code == 200


def test_queue_depth_by_state_is_counted_at_scrape_time_in_one_query(
    settings, cast, django_assert_num_queries
):
    settings.METRICS_TOKEN = TOKEN
    for _ in range(3):
        request_job(kind="unlock_user", organisation=cast.customer, actor=SYSTEM)
    Job.objects.filter(pk=Job.objects.order_by("pk").first().pk).update(state="running")
    with django_assert_num_queries(1):
        samples = scrape(Authorization=f"Bearer {TOKEN}")
    assert value(samples, "canopy_jobs", state="queued") == 2
    assert value(samples, "canopy_jobs", state="running") == 1


def test_a_job_that_ran_shows_its_duration_and_failure_by_kind(settings, cast):
    settings.METRICS_TOKEN = TOKEN
    settings.DIRECTORY_URL = ""  # no directory: the job fails at once, for good
    before = scrape(Authorization=f"Bearer {TOKEN}")
    job = request_job(kind="unlock_user", organisation=cast.customer, actor=SYSTEM)
    assert run_job(job.pk) == "failed"
    after = scrape(Authorization=f"Bearer {TOKEN}")
    labels = {"kind": "unlock_user", "outcome": "failed"}
    assert value(after, "canopy_job_duration_seconds_count", **labels) == (
        value(before, "canopy_job_duration_seconds_count", **labels) + 1
    )
    assert value(after, "canopy_job_duration_seconds_sum", **labels) > value(
        before, "canopy_job_duration_seconds_sum", **labels
    )
    assert value(after, "canopy_job_failures_total", kind="unlock_user") == (
        value(before, "canopy_job_failures_total", kind="unlock_user") + 1
    )


def test_a_job_abandoned_by_its_worker_is_counted_when_the_sweeper_requeues_it(settings, cast):
    settings.METRICS_TOKEN = TOKEN
    before = scrape(Authorization=f"Bearer {TOKEN}")
    job = request_job(kind="unlock_user", organisation=cast.customer, actor=SYSTEM)
    rows.claim(job.pk, "dead-worker")
    old = timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS + 5)
    Job.objects.filter(pk=job.pk).update(heartbeat=old)
    assert sweep_jobs() == [job.pk]
    after = scrape(Authorization=f"Bearer {TOKEN}")
    assert value(after, "canopy_job_abandoned_total", kind="unlock_user") == (
        value(before, "canopy_job_abandoned_total", kind="unlock_user") + 1
    )


WORKER_SIDE = """
import django
django.setup()
from provisioning.engine import metrics
metrics.record_attempt("create_user", "failed", 0.3)
metrics.record_attempt("create_user", "succeeded", 0.2)
"""

WEB_SIDE = """
import django
django.setup()
from django.test import Client
response = Client().get("/metrics", headers={"Authorization": "Bearer %s"})
assert response.status_code == 200, response.status_code
print(response.content.decode())
"""


def test_in_multiprocess_mode_the_web_scrape_sees_what_a_worker_process_recorded(tmp_path):
    """Production runs web and worker as separate processes sharing PROMETHEUS_MULTIPROC_DIR:
    a metric one process recorded is in the other's scrape."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "METRICS_TOKEN": TOKEN,
        "DIRECTORY_URL": "",
        # The test database: the scrape counts its (empty) job table.
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "testserver",
        "STATIC_MANIFEST": "false",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    for code in (WORKER_SIDE, WEB_SIDE % TOKEN):
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    samples = parse(done.stdout)
    labels = {"kind": "create_user", "outcome": "failed"}
    assert value(samples, "canopy_job_duration_seconds_count", **labels) == 1
    assert value(samples, "canopy_job_failures_total", kind="create_user") == 1
    assert value(samples, "canopy_jobs", state="queued") == 0
