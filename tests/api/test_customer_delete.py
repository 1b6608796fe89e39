"""Customer delete and restore over the API: the same actions as the customer page's Delete
(deprovision and delete) and Restore."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import Job
from customers.models import Organisation
from tests.api.helpers import api_client

pytestmark = pytest.mark.django_db


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def test_an_active_customer_is_deprovisioned_then_deleted_by_its_job(cast):
    Organisation.objects.filter(pk=cast.customer.pk).update(status="active")
    client = api_client(cast.reseller_admin)
    url = reverse("api:organisation-delete", args=[cast.customer.pk])
    wrong = post(client, url, {"confirm_code": "not-the-code"})
    assert wrong.status_code == 400 and wrong.json()["confirm_code"]
    assert Organisation.objects.get(pk=cast.customer.pk).status == "active"
    response = post(client, url, {"confirm_code": cast.customer.code})
    assert response.status_code == 202
    job = Job.objects.get(organisation=cast.customer, kind="deprovision_organisation")
    assert job.payload.get("then_delete") is True
    assert response["Location"].endswith(reverse("api:job-detail", args=[job.pk]))
    assert Organisation.objects.get(pk=cast.customer.pk).status == "deprovisioning"


def test_a_deprovisioned_customer_is_deleted_at_once_and_restored_by_the_provider(cast):
    Organisation.objects.filter(pk=cast.customer.pk).update(status="deprovisioned")
    deleted = post(
        api_client(cast.reseller_admin),
        reverse("api:organisation-delete", args=[cast.customer.pk]),
        {"confirm_code": cast.customer.code},
    )
    assert deleted.status_code == 200 and deleted.json() == {"jobs": []}
    customer = Organisation.objects.get(pk=cast.customer.pk)
    assert customer.status == "deleted" and customer.deleted_at is not None
    restore = reverse("api:organisation-restore", args=[cast.customer.pk])
    # Only provider admins restore, as on the page.
    assert post(api_client(cast.reseller_admin), restore).status_code == 403
    restored = post(api_client(cast.provider_admin), restore)
    assert restored.status_code == 200
    customer.refresh_from_db()
    assert customer.status == "deprovisioned" and customer.deleted_at is None


def test_a_customer_admin_may_not_delete_their_own_customer(cast):
    response = post(
        api_client(cast.customer_admin),
        reverse("api:organisation-delete", args=[cast.customer.pk]),
        {"confirm_code": cast.customer.code},
    )
    assert response.status_code == 403
    assert Organisation.objects.get(pk=cast.customer.pk).deleted_at is None
