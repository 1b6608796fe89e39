"""The cutoff's suspend setting against the real DC: after the grace period billing suspends
the customer through the lifecycle (the job disables its AD accounts), and a top-up resumes
it (the job enables them again)."""

import pytest

from billing.actions.accounts import account_for, update_profile
from billing.actions.ledger import credit, debit
from billing.actions.licences import run_daily_checks
from billing.actions.provider import save_settings, settings_for
from core.actors import SYSTEM
from core.jobs import JobKind
from core.models import Job, JobState
from customers.actions.lifecycle import provision_organisation
from customers.models import Status
from directory import find_user_by_guid, is_enabled
from tests.provisioning.helpers import run

pytestmark = [pytest.mark.directory]


def succeeded(job):
    job = run(job)
    assert job.state == JobState.SUCCEEDED, job.error
    return job


def latest(kind, organisation):
    return Job.objects.filter(kind=kind, organisation=organisation).latest("pk")


@pytest.mark.django_db
def test_the_cutoff_suspends_in_the_directory_and_a_top_up_enables_again(
    tenants, directory_settings, ldap, django_capture_on_commit_callbacks
):
    customer = tenants.customer(domains=1)
    people = [tenants.user(customer), tenants.user(customer)]
    succeeded(provision_organisation(actor=SYSTEM, organisation=customer))
    customer.refresh_from_db()
    for person in people:
        person.refresh_from_db()
        assert is_enabled(ldap, find_user_by_guid(ldap, person.directory_guid)["dn"])

    rules = settings_for(customer)
    rules.cutoff_action, rules.cutoff_grace_days = "suspend", 0
    save_settings(actor=SYSTEM, settings=rules)
    account = account_for(customer)
    update_profile(actor=SYSTEM, account=account, changes={"cutoff_balance": 0})
    debit(actor=SYSTEM, account=account, units=3, description="Usage")

    assert run_daily_checks(customer.created.date(), actor=SYSTEM).suspended == [account.pk]
    succeeded(latest(JobKind.SUSPEND_ORGANISATION, customer))
    customer.refresh_from_db()
    assert customer.status == Status.SUSPENDED
    for person in people:
        assert not is_enabled(ldap, find_user_by_guid(ldap, person.directory_guid)["dn"])

    with django_capture_on_commit_callbacks(execute=True):
        credit(actor=SYSTEM, account=account, units=10, description="Top-up")
    succeeded(latest(JobKind.RESUME_ORGANISATION, customer))
    customer.refresh_from_db()
    assert customer.status == Status.ACTIVE
    for person in people:
        assert is_enabled(ldap, find_user_by_guid(ldap, person.directory_guid)["dn"])
