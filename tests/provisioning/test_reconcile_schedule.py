"""The periodic reconcile: per provider, one reconcile job for each provisioned
organisation of its tree, in the configured mode, never doubled while one waits."""

import uuid

import pytest

from core.actors import SYSTEM
from core.jobs import JobKind
from core.models import Job
from customers.models import Organisation, Status
from provisioning.actions.reconcile import request_reconciles
from provisioning.tasks import reconcile_provider
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def provisioned(**fields):
    organisation = OrganisationFactory(**fields)
    Organisation.objects.filter(pk=organisation.pk).update(
        status=Status.ACTIVE, directory_guid=uuid.uuid4()
    )
    organisation.refresh_from_db()
    return organisation


@pytest.fixture
def trees():
    provider = provisioned(is_reseller=True)
    reseller = provisioned(parent=provider, is_reseller=True)
    customer = provisioned(parent=reseller)
    draft = OrganisationFactory(parent=reseller)
    other = provisioned(is_reseller=True)
    return provider, reseller, customer, draft, other


def reconciled(kind=JobKind.RECONCILE):
    return sorted(Job.objects.filter(kind=kind).values_list("organisation_id", flat=True))


def test_each_provisioned_organisation_of_the_provider_gets_a_job(trees):
    provider, reseller, customer, _draft, _other = trees

    queued = request_reconciles(actor=SYSTEM, provider=provider, mode="report")

    assert queued == 3
    assert reconciled() == sorted([provider.pk, reseller.pk, customer.pk])
    assert {job.payload["mode"] for job in Job.objects.all()} == {"report"}


def test_a_job_still_waiting_is_not_doubled(trees):
    provider = trees[0]
    request_reconciles(actor=SYSTEM, provider=provider, mode="report")

    assert request_reconciles(actor=SYSTEM, provider=provider, mode="report") == 0
    assert Job.objects.count() == 3


def test_the_task_uses_the_configured_mode(trees, settings):
    provider, *_ = trees
    settings.RECONCILE_MODE = "repair"

    assert reconcile_provider(provider.pk) == 3
    assert {job.payload["mode"] for job in Job.objects.all()} == {"repair"}
    assert {job.started_by for job in Job.objects.all()} == {None}  # the system


def test_an_unknown_mode_is_refused(trees):
    with pytest.raises(ValueError):
        request_reconciles(actor=SYSTEM, provider=trees[0], mode="delete")
