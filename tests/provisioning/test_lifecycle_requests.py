"""Lifecycle requests that are refused before any job is recorded (no directory needed)."""

import uuid

import pytest
from django.core.exceptions import ValidationError

from core.models import Job
from customers.actions.lifecycle import provision_organisation
from customers.models import Organisation, Status
from tests.customers.helpers import url

pytestmark = pytest.mark.django_db


def test_a_customer_of_a_draft_reseller_is_refused_until_the_reseller_is_provisioned(cast):
    with pytest.raises(ValidationError, match="Provision Reseller One first"):
        provision_organisation(actor=cast.reseller_admin, organisation=cast.customer)
    cast.customer.refresh_from_db()
    assert cast.customer.status == Status.DRAFT
    assert not Job.objects.filter(organisation=cast.customer).exists()


def test_the_refusal_is_shown_on_the_customer_page(cast, login):
    response = login(cast.reseller_admin).post(url("provision", cast.customer.pk), follow=True)
    assert "Provision Reseller One first" in response.content.decode()
    assert not Job.objects.filter(organisation=cast.customer).exists()


def test_a_customer_of_a_reseller_in_the_directory_is_provisioned(cast):
    Organisation.objects.filter(pk=cast.reseller.pk).update(directory_guid=uuid.uuid4())
    customer = Organisation.objects.get(pk=cast.customer.pk)
    job = provision_organisation(actor=cast.reseller_admin, organisation=customer)
    assert job.organisation == customer and customer.status == Status.PROVISIONING


def test_a_direct_customer_of_the_provider_needs_no_parent_in_the_directory(cast):
    job = provision_organisation(actor=cast.provider_admin, organisation=cast.reseller)
    assert job.organisation == cast.reseller


def test_save_and_provision_under_a_draft_reseller_creates_nothing_and_says_why(cast, login):
    response = login(cast.reseller_admin).post(
        url("quick_create"),
        {
            "parent": cast.reseller.pk,
            "name": "Initech",
            "email": "bill@initech.example",
            "domain_name": "initech.example",
            "save_provision": "1",
        },
    )
    assert "Provision Reseller One first" in response.content.decode()
    assert not Organisation.objects.filter(name="Initech").exists()
