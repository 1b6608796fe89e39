"""The order is explained before the press: the create form says when the parent is not in
the directory yet and offers one click to provision the parent chain; the provider itself is
provisioned like a reseller."""

import pytest

from core.jobs import JobKind
from core.models import Job
from customers.models import Organisation, Status
from tests.customers.helpers import url

pytestmark = pytest.mark.django_db


def test_the_create_form_says_the_parent_is_not_in_the_directory_yet(cast, login):
    client = login(cast.provider_admin)
    client.post("/context/", {"organisation": cast.subreseller.pk})
    for name in ("create", "quick_create"):
        page = client.get(url(name)).content.decode()
        assert "Sub Reseller is not in the directory yet" in page
        assert "Provision the parent chain" in page
        assert url("provision_chain", cast.subreseller.pk) in page


def test_a_parent_in_the_directory_shows_no_warning(cast, login):
    Organisation.objects.filter(pk=cast.reseller.pk).update(status=Status.ACTIVE)
    Organisation.objects.filter(pk=cast.reseller.pk).update(directory_guid="1" * 32)
    client = login(cast.reseller_admin)
    page = client.get(url("quick_create")).content.decode()
    assert "data-parent-outside" not in page


def test_a_reseller_admin_is_told_to_ask_the_provider(cast, login):
    page = login(cast.reseller_admin).get(url("quick_create")).content.decode()
    assert "Reseller One is not in the directory yet" in page
    assert "Provision the parent chain" not in page


def test_provision_the_parent_chain_queues_each_ancestor_from_the_top_down(cast, login):
    client = login(cast.provider_admin)
    response = client.post(url("provision_chain", cast.subreseller.pk), {"next": url("create")})
    assert response.status_code == 302 and response.url == url("create")
    jobs = list(Job.objects.filter(kind=JobKind.PROVISION_ORGANISATION).order_by("pk"))
    assert [job.organisation for job in jobs] == [cast.provider, cast.reseller, cast.subreseller]
    assert len({job.lock_key for job in jobs}) == 1  # one after the other
    for organisation in (cast.provider, cast.reseller, cast.subreseller):
        assert Organisation.objects.get(pk=organisation.pk).status == Status.PROVISIONING
    # Now a customer of the sub-reseller may be saved and provisioned at once.
    response = client.post(
        url("quick_create"),
        {
            "parent": cast.subreseller.pk,
            "name": "Initech",
            "email": "bill@initech.example",
            "domain_name": "initech.example",
            "save_provision": "1",
        },
    )
    assert response.status_code == 302
    assert Organisation.objects.get(name="Initech").status == Status.PROVISIONING


def test_the_provider_page_offers_provision_to_its_admins(cast, login):
    client = login(cast.provider_admin)
    page = client.get(url("detail", cast.provider.pk)).content.decode()
    assert url("provision", cast.provider.pk) in page
    assert url("suspend", cast.provider.pk) not in page
    assert url("deprovision_delete", cast.provider.pk) not in page
    assert client.post(url("provision", cast.provider.pk)).status_code == 302
    assert Organisation.objects.get(pk=cast.provider.pk).status == Status.PROVISIONING
    assert client.post(url("suspend", cast.provider.pk)).status_code == 403
