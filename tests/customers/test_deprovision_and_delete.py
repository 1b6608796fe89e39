"""Deprovision and delete: one request queues suspend and deprovision, and the organisation is
deleted when the deprovision job succeeds."""

import pytest

from core.jobs import JobKind
from core.models import Job
from customers.models import Organisation, Status
from tests.customers.helpers import url

pytestmark = pytest.mark.django_db


def test_an_active_customer_is_suspended_and_deprovisioned_in_one_request(cast, login):
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.ACTIVE)
    response = login(cast.reseller_admin).post(
        url("deprovision_delete", cast.customer.pk), {"confirm_code": "CONE"}
    )
    assert response.status_code == 302
    assert response.url == url("jobs", cast.customer.pk)
    assert Organisation.objects.get(pk=cast.customer.pk).status == Status.DEPROVISIONING
    suspend, deprovision = Job.objects.filter(organisation=cast.customer).order_by("pk")
    assert suspend.kind == JobKind.SUSPEND_ORGANISATION
    assert deprovision.kind == JobKind.DEPROVISION_ORGANISATION
    assert deprovision.payload == {"then_delete": True}
    assert suspend.lock_key == deprovision.lock_key  # they run in this order
    assert "step 1 of 2" in suspend.target_label and "step 2 of 2" in deprovision.target_label


def test_it_asks_for_the_code(cast, login):
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.ACTIVE)
    response = login(cast.reseller_admin).post(
        url("deprovision_delete", cast.customer.pk), {"confirm_code": "WRONG"}
    )
    assert response.status_code == 200
    assert Organisation.objects.get(pk=cast.customer.pk).status == Status.ACTIVE
    assert not Job.objects.filter(organisation=cast.customer).exists()


def test_a_draft_is_deleted_at_once(cast, login):
    response = login(cast.reseller_admin).post(
        url("deprovision_delete", cast.customer.pk), {"confirm_code": "CONE"}
    )
    assert response.status_code == 302
    assert Organisation.objects.get(pk=cast.customer.pk).status == Status.DELETED


def test_the_customer_page_offers_it(cast, login):
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.ACTIVE)
    page = login(cast.reseller_admin).get(url("detail", cast.customer.pk)).content.decode()
    assert url("deprovision_delete", cast.customer.pk) in page
    assert "Deprovision and delete" in page
