"""Times as a person reads them: relative, the exact local time on hover (issue 16, 10)."""

import re
from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from core.models import Job, JobState
from portal.templatetags.canopy_time import when

pytestmark = pytest.mark.django_db


def test_a_stored_log_time_reads_as_minutes_ago_with_the_exact_local_time_on_hover(settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    timezone.activate("Europe/Amsterdam")
    try:
        moment = timezone.now().replace(microsecond=0) - timedelta(minutes=3)
        html = when(moment.astimezone(UTC).isoformat(timespec="seconds"))
        local = timezone.localtime(moment)
    finally:
        timezone.deactivate()
    assert re.fullmatch(r'<time datetime="[^"]+" title="[^"]+">3\xa0minutes ago</time>', html)
    assert f'title="{local:%Y-%m-%d %H:%M:%S} CE' in html  # CET or CEST: local, not UTC


def test_a_datetime_field_reads_the_same_way():
    html = when(timezone.now() - timedelta(hours=2))
    assert html.startswith("<time datetime=") and "2\xa0hours ago" in html


def test_something_that_is_not_a_time_is_shown_as_stored():
    assert when("soon") == "soon"
    assert when(None) == ""


def test_the_job_page_shows_relative_times_not_raw_timestamps(cast, login):
    at = (timezone.now() - timedelta(minutes=3)).isoformat(timespec="seconds")
    job = Job.objects.create(
        kind="provision_customer",
        organisation=cast.customer,
        target_label=cast.customer.name,
        lock_key=f"org:{cast.customer.pk}",
        state=JobState.SUCCEEDED,
        log=[{"at": at, "message": "Make the OU"}],
    )

    html = login(cast.customer_admin).get(job.get_absolute_url()).content.decode()

    log = html.split('id="job-log"', 1)[1]
    assert f'<time datetime="{at}"' in log
    assert "3\xa0minutes ago" in log
    assert f">{at}<" not in log  # the raw stored string is no longer the text


def test_the_job_list_shows_when_each_job_was_created_relatively(cast, login):
    job = Job.objects.create(
        kind="provision_customer",
        organisation=cast.customer,
        target_label=cast.customer.name,
        lock_key=f"org:{cast.customer.pk}",
    )
    # created is auto_now_add: set it afterwards, so a slow machine cannot change the wording.
    Job.objects.filter(pk=job.pk).update(created=timezone.now() - timedelta(minutes=3))

    html = login(cast.customer_admin).get("/jobs/").content.decode()

    assert re.search(r"<time datetime=\"[^\"]+\" title=\"[^\"]+\">3\xa0minutes ago</time>", html)
