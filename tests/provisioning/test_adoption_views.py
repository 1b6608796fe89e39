"""The adoption pages: start (a job is queued, nothing read in the request), the preview,
and a confirmation refused with the reason on the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import Job
from provisioning.models import Adoption, AdoptionState

pytestmark = pytest.mark.django_db


def test_starting_an_adoption_queues_the_reading_job(cast, login):
    client = login(cast.reseller_admin)
    response = client.post(
        reverse("provisioning:adoption_start"),
        {"parent": cast.reseller.pk, "ou_dn": "OU=LEGACY,OU=Hosting,DC=canopy,DC=test"},
    )
    adoption = Adoption.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("provisioning:adoption_detail", args=[adoption.pk])
    assert Job.objects.get(pk=adoption.job_id).kind == "adoption_preview"
    page = client.get(response.url).content.decode()
    assert 'data-state="reading"' in page


def test_while_the_job_reads_the_page_shows_its_progress_and_follows_it(cast, login):
    client = login(cast.reseller_admin)
    client.post(
        reverse("provisioning:adoption_start"),
        {"parent": cast.reseller.pk, "ou_dn": "OU=LEGACY,OU=Hosting,DC=canopy,DC=test"},
    )
    adoption = Adoption.objects.get()
    # Half-way: the job has read 500 of 1,000 accounts (its last unit is the step's end).
    Job.objects.filter(pk=adoption.job_id).update(state="running", steps_done=500, steps_total=1001)
    url = reverse("provisioning:adoption_detail", args=[adoption.pk])

    page = client.get(url).content.decode()
    assert 'role="progressbar"' in page and "500 / 1001" in page
    assert f'hx-get="{url}"' in page and 'hx-trigger="every 2s"' in page
    # What htmx fetches is the page's body alone; once the job is done, nothing polls.
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="adoption"') and "<html" not in fragment
    Adoption.objects.filter(pk=adoption.pk).update(state=AdoptionState.FAILED)
    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and 'role="progressbar"' not in done


def test_an_ou_that_is_not_an_ou_is_refused_on_the_field(cast, login):
    client = login(cast.reseller_admin)
    response = client.post(
        reverse("provisioning:adoption_start"), {"parent": cast.reseller.pk, "ou_dn": "CN=x"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["ou_dn"]
    assert not Adoption.objects.exists()


def test_the_preview_shows_what_will_be_made_and_problems_stop_the_adoption(cast, login):
    adoption = Adoption.objects.create(
        parent=cast.reseller,
        ou_dn="OU=LEGACY,DC=canopy,DC=test",
        state=AdoptionState.READY,
        preview={
            "organisation": {"code": "LEGACY", "name": "Legacy Ltd", "guid": "", "dn": ""},
            "domains": ["legacy.example"],
            "users": [
                {
                    "guid": "00000000-0000-4000-8000-000000000001",
                    "username": "ada",
                    "upn": "ada@legacy.example",
                    "first_name": "Ada",
                    "last_name": "L",
                    "display_name": "Ada L",
                    "email": "",
                    "enabled": True,
                    "admin": True,
                    "services": [],
                }
            ],
            "groups": [{"name": "LEGACY-Admins", "dn": "", "guid": "", "maps_to": "admins"}],
            "ous": {},
            "policy": None,
            "changes": [],
            "more_changes": 0,
            "problems": ["The UPN ada@legacy.example is taken in the portal."],
        },
    )
    client = login(cast.reseller_admin)
    url = reverse("provisioning:adoption_detail", args=[adoption.pk])
    page = client.get(url).content.decode()
    assert "Legacy Ltd (LEGACY)" in page and "ada@legacy.example" in page
    response = client.post(url, {"user_limit": ""})
    assert response.status_code == 200
    assert "is taken in the portal" in response.content.decode()
    adoption.refresh_from_db()
    assert adoption.state == AdoptionState.READY and adoption.organisation is None


def test_the_dashboard_lists_customers_whose_last_check_left_drift(cast, login):
    from core.models import DriftReport
    from customers.models import Organisation

    Organisation.objects.filter(pk=cast.customer.pk).update(
        directory_guid="00000000-0000-4000-8000-0000000000c1"
    )
    DriftReport.objects.create(organisation=cast.customer, found=3, remaining=2)
    page = login(cast.reseller_admin).get(reverse("dashboard")).content.decode()
    assert "Customers with drift" in page and "2 differences" in page
    DriftReport.objects.create(organisation=cast.customer, found=2, remaining=0)
    page = login(cast.reseller_admin).get(reverse("dashboard")).content.decode()
    assert "Customers with drift" not in page
