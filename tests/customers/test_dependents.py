"""A reseller is not deprovisioned or deleted while its customers are still there: the
refusal names them, with links, instead of leaving them orphaned."""

import pytest
from django.urls import reverse

from customers.models import Organisation, Status

pytestmark = pytest.mark.django_db


def test_a_draft_reseller_with_customers_is_not_deprovisioned(cast, login):
    response = login(cast.provider_admin).post(
        reverse("customers:deprovision", args=[cast.reseller.pk])
    )
    page = response.content.decode()
    assert Organisation.objects.get(pk=cast.reseller.pk).status == Status.DRAFT
    assert "Remove any entities associated with Reseller One first" in page
    for dependent in (cast.subreseller, cast.customer, cast.deep_customer):
        assert f'href="{dependent.get_absolute_url()}"' in page


def test_a_deprovisioned_reseller_with_customers_is_not_deleted(cast, login):
    Organisation.objects.filter(pk=cast.reseller2.pk).update(status=Status.DEPROVISIONED)
    client = login(cast.provider_admin)
    url = reverse("customers:delete", args=[cast.reseller2.pk])
    assert f'href="{cast.customer2.get_absolute_url()}"' in client.get(url).content.decode()
    response = client.post(url, {"confirm_code": "RTWO"})
    page = response.content.decode()
    assert response.status_code == 200
    assert Organisation.objects.get(pk=cast.reseller2.pk).status == Status.DEPROVISIONED
    assert "Customer Two (CTWO)" in page
    assert f'href="{cast.customer2.get_absolute_url()}"' in page


def test_once_its_customers_are_deleted_the_reseller_can_be_deleted(cast, login):
    Organisation.objects.filter(pk__in=[cast.reseller2.pk]).update(status=Status.DEPROVISIONED)
    Organisation.objects.filter(pk=cast.customer2.pk).update(status=Status.DELETED)
    response = login(cast.provider_admin).post(
        reverse("customers:delete", args=[cast.reseller2.pk]), {"confirm_code": "RTWO"}
    )
    assert response.status_code == 302
    assert Organisation.objects.get(pk=cast.reseller2.pk).status == Status.DELETED
