"""The jobs pages: scoped, filterable, following a running job, retry and cancel."""

import itertools

import pytest
from django.urls import reverse

from core.models import Job, JobState

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(cast):
    counter = itertools.count()

    def make(state, organisation=None, **fields):
        # The customer's own kind of job (its edit applied to AD): its admins manage it.
        fields.setdefault("kind", "update_organisation")
        return Job.objects.create(
            organisation=organisation or cast.customer,
            target_label="Customer One",
            lock_key=f"org:{(organisation or cast.customer).pk}:{state}:{next(counter)}",
            state=state,
            **fields,
        )

    return make


def test_a_running_job_page_polls_itself_every_two_seconds(cast, login, jobs):
    job = jobs(JobState.RUNNING, steps_done=3, steps_total=12)

    page = login(cast.customer_admin).get(job.get_absolute_url())

    html = page.content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert 'aria-valuenow="25"' in html
    assert "3 / 12" in html


def test_a_finished_job_page_stops_polling_and_shows_the_log(cast, login, jobs):
    job = jobs(
        JobState.SUCCEEDED,
        steps_done=1,
        steps_total=1,
        log=[{"at": "2026-01-01T00:00:00", "message": "Make the OU", "objects": ["OU=X"]}],
    )

    html = login(cast.customer_admin).get(job.get_absolute_url()).content.decode()

    assert "every 2s" not in html
    assert "Make the OU" in html and "OU=X" in html


def test_the_htmx_request_gets_only_the_status_fragment(cast, login, jobs):
    job = jobs(JobState.RUNNING)

    page = login(cast.customer_admin).get(job.get_absolute_url(), headers={"HX-Request": "true"})

    assert page.content.decode().lstrip().startswith('<div id="job-status"')


def test_managers_see_retry_on_a_failed_job_and_help_desk_does_not(cast, login, jobs):
    job = jobs(JobState.FAILED, error="add OU=X: the entry does not exist")

    assert "Retry job" in login(cast.customer_admin).get(job.get_absolute_url()).content.decode()
    help_desk_page = login(cast.help_desk).get(job.get_absolute_url()).content.decode()
    assert "Retry job" not in help_desk_page
    assert "the entry does not exist" in help_desk_page


def test_retrying_a_failed_job_queues_it(cast, login, jobs):
    job = jobs(JobState.FAILED, error="boom")

    response = login(cast.customer_admin).post(reverse("provisioning:job_retry", args=[job.pk]))

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.state, job.error) == (JobState.QUEUED, "")


def test_cancel_is_a_post_for_managers_only(cast, login, jobs):
    job = jobs(JobState.QUEUED)
    url = reverse("provisioning:job_cancel", args=[job.pk])

    assert login(cast.customer_admin).get(url).status_code == 405
    assert login(cast.help_desk).post(url).status_code == 403
    assert login(cast.customer2_admin).post(url).status_code == 404
    job.refresh_from_db()
    assert job.state == JobState.QUEUED
    assert login(cast.customer_admin).post(url).status_code == 302
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED


def test_a_customer_admin_cannot_retry_or_cancel_its_own_provisioning(cast, login, jobs):
    """Issue 9, hole 10: provisioning is decided one level up, by the reseller."""
    failed = jobs(JobState.FAILED, kind="provision_organisation", error="boom")
    queued = jobs(JobState.QUEUED, kind="provision_organisation")
    admin = login(cast.customer_admin)
    assert admin.post(reverse("provisioning:job_retry", args=[failed.pk])).status_code == 403
    assert admin.post(reverse("provisioning:job_cancel", args=[queued.pk])).status_code == 403
    assert "Retry job" not in admin.get(failed.get_absolute_url()).content.decode()
    failed.refresh_from_db()
    queued.refresh_from_db()
    assert (failed.state, queued.state) == (JobState.FAILED, JobState.QUEUED)
    reseller = login(cast.reseller_admin)
    assert reseller.post(reverse("provisioning:job_cancel", args=[queued.pk])).status_code == 302
    assert reseller.post(reverse("provisioning:job_retry", args=[failed.pk])).status_code == 302
    failed.refresh_from_db()
    queued.refresh_from_db()
    assert (failed.state, queued.state) == (JobState.QUEUED, JobState.CANCELLED)


def test_the_jobs_list_filters_by_state_and_shows_only_the_viewers_jobs(cast, login, jobs):
    failed = jobs(JobState.FAILED)
    jobs(JobState.SUCCEEDED)
    foreign = jobs(JobState.FAILED, organisation=cast.customer2)

    page = login(cast.customer_admin).get(reverse("provisioning:job_list"), {"state": "failed"})

    listed = list(page.context["jobs"])
    assert listed == [failed]
    assert foreign not in listed


def test_every_provisioning_page_says_when_no_directory_is_connected(cast, login, jobs, settings):
    settings.DIRECTORY_URL = ""
    job = jobs(JobState.FAILED)
    client = login(cast.customer_admin)

    for url in (
        reverse("provisioning:job_list"),
        job.get_absolute_url(),
        reverse("provisioning:check_directory", args=[cast.customer.pk]),
    ):
        assert "No directory is connected" in client.get(url).content.decode(), url

    settings.DIRECTORY_URL = "ldaps://dc.example:636"
    assert "No directory is connected" not in client.get(job.get_absolute_url()).content.decode()


def test_check_directory_of_an_unprovisioned_customer_says_there_is_nothing_to_check(
    cast, login, settings
):
    settings.DIRECTORY_URL = "ldaps://dc.example:636"
    page = login(cast.customer_admin).get(
        reverse("provisioning:check_directory", args=[cast.customer.pk])
    )

    assert "not provisioned" in page.content.decode()
    assert "Repair directory" not in page.content.decode()


def test_the_jobs_list_costs_the_same_queries_for_few_or_many_jobs(cast, login, jobs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(cast.customer_admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("provisioning:job_list")).status_code == 200
        return len(captured)

    for _ in range(3):
        jobs(JobState.SUCCEEDED)
    few = queries()
    for _ in range(20):
        jobs(JobState.FAILED)
    assert queries() == few


def test_the_jobs_lists_state_and_kind_filters_are_multi_select(
    cast, login, jobs, django_assert_num_queries
):
    failed = jobs(JobState.FAILED)
    succeeded = jobs(JobState.SUCCEEDED)
    jobs(JobState.QUEUED)
    other_kind = jobs(JobState.FAILED, kind="provision_customer")
    client = login(cast.customer_admin)
    client.get(reverse("provisioning:job_list"))  # warm the session
    # Session, user, organisation, the session's row, scope, ancestors, the jobs (the
    # Organisation filter is a search-as-you-type picker: it lists nothing until asked).
    with django_assert_num_queries(7):
        page = client.get(
            reverse("provisioning:job_list"),
            {"state": ["failed", "succeeded"], "kind": ["update_organisation"]},
        )
    assert set(page.context["jobs"]) == {failed, succeeded}
    assert other_kind not in page.context["jobs"]
    html = page.content.decode()
    assert 'name="state" value="failed"' in html and "checked" in html
    assert "Succeeded, Failed" in html  # the drop-down's summary of what is ticked


def test_the_organisation_filter_is_a_picker_over_organisations_with_visible_jobs(
    cast, login, jobs, django_assert_num_queries
):
    mine = jobs(JobState.FAILED)
    jobs(JobState.FAILED, organisation=cast.deep_customer)
    client = login(cast.reseller_admin)
    choices = client.get(reverse("provisioning:organisation_choices"), {"q": "customer"})
    page = choices.content.decode()
    assert f'data-pick="{cast.customer.pk}"' in page
    assert f'data-pick="{cast.deep_customer.pk}"' in page
    assert "Customer Two" not in page
    client.get(reverse("provisioning:job_list"))
    # The chosen organisation is looked up once, to check it and to name it in the picker.
    with django_assert_num_queries(8):
        response = client.get(reverse("provisioning:job_list"), {"organisation": cast.customer.pk})
    assert list(response.context["jobs"]) == [mine]
    assert 'value="Customer One"' in response.content.decode()
    foreign = client.get(reverse("provisioning:job_list"), {"organisation": cast.customer2.pk})
    assert "organisation" in foreign.context["filter"].form.errors
