"""Check directory, as a person uses it: "Check now" starts a reconcile job and the page
follows it (htmx polls) until the result shows, without a reload. The job runs here, in the
test's process, against the Samba DC: no worker is needed to see the page follow it."""

import pytest
from playwright.sync_api import expect

from core.actors import SYSTEM
from core.models import Job, JobState
from customers.actions.lifecycle import provision_organisation
from tests.browser.conftest import browser_test
from tests.provisioning.helpers import run

pytestmark = [*browser_test, pytest.mark.directory]


def test_check_now_starts_a_job_and_the_page_follows_it(
    open_as, tenants, directory_settings, browser_settings
):
    customer = tenants.customer()
    tenants.user(customer, is_admin=True)
    assert run(provision_organisation(actor=SYSTEM, organisation=customer)).state == "succeeded"
    viewer = tenants.user(customer.parent, role="Reseller Admin")
    page = open_as(viewer)
    page.goto(f"/jobs/directory/{customer.pk}/")
    expect(page.locator("#check-none")).to_be_visible()

    page.click("button:has-text('Check now')")

    expect(page.locator("#check-running")).to_be_visible()
    job = Job.objects.get(kind="reconcile")
    assert run(job).state == JobState.SUCCEEDED
    expect(page.locator("#check-ok")).to_be_visible(timeout=10_000)
    expect(page.locator("#check-running")).to_have_count(0)
