"""The /api/v1/ endpoints: the same actions and scoping as the pages, JSON in and out."""

import json

import pytest
from django.urls import reverse

from core.models import Job
from customers.models import Organisation, User
from tests.api.helpers import api_client
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

# One for the key, one for its last-use write, the scope, the page (with its cursor
# lookahead); the organisation list also reads the Customers list's tag and service choices.
ORGANISATION_LIST_QUERIES = 6
USER_LIST_QUERIES = 4
JOB_LIST_QUERIES = 4


def post(client, url, data=None, **extra):
    return client.post(url, json.dumps(data or {}), content_type="application/json", **extra)


def patch(client, url, data, **extra):
    return client.patch(url, json.dumps(data), content_type="application/json", **extra)


def test_the_organisation_list_pages_with_a_cursor_at_a_fixed_cost(cast, django_assert_num_queries):
    for n in range(5):
        OrganisationFactory(name=f"Paged {n}", parent=cast.customer.parent)
    client = api_client(cast.reseller_admin)
    url = reverse("api:organisation-list") + "?page_size=3"
    seen = []
    while url:
        with django_assert_num_queries(ORGANISATION_LIST_QUERIES - (1 if seen else 0)):
            body = client.get(url).json()
        seen += [o["code"] for o in body["results"]]
        url = body["next"]
        assert "cursor=" in (url or "cursor=")
    assert (
        len(seen)
        == len(set(seen))
        == Organisation.objects.restrict(cast.reseller_admin, "view")
        .exclude(status="deleted")
        .count()
    )


def test_the_list_takes_the_customers_lists_filters(cast):
    client = api_client(cast.reseller_admin)
    body = client.get(reverse("api:organisation-list"), {"q": "deep"}).json()
    assert [o["code"] for o in body["results"]] == ["CDEEP"]
    body = client.get(reverse("api:organisation-list"), {"parent": cast.subreseller.pk}).json()
    assert [o["code"] for o in body["results"]] == ["CDEEP"]
    response = client.get(reverse("api:organisation-list"), {"status": "no-such"})
    assert response.status_code == 400 and "status" in response.json()


def test_detail_names_the_ancestors_the_caller_may_see(cast):
    url = reverse("api:organisation-detail", args=[cast.deep_customer.pk])
    body = api_client(cast.reseller_admin).get(url).json()
    assert [a["code"] for a in body["ancestors"]] == ["RONE", "RSUB"]
    body = api_client(cast.provider_admin).get(url).json()
    assert [a["code"] for a in body["ancestors"]] == ["PROV", "RONE", "RSUB"]


def test_patch_edits_through_the_action_and_its_errors_land_on_fields(cast):
    client = api_client(cast.customer_admin)
    url = reverse("api:organisation-detail", args=[cast.customer.pk])
    response = patch(client, url, {"name": "Customer Uno", "city": "Leeds"})
    assert response.status_code == 200, response.json()
    cast.customer.refresh_from_db()
    assert (cast.customer.name, cast.customer.city) == ("Customer Uno", "Leeds")
    # The parent decides the user limit: the customer's own admin may not raise it.
    response = patch(client, url, {"user_limit": 999})
    assert response.status_code == 403
    response = patch(client, url, {"email": "not an address"})
    assert response.status_code == 400 and "email" in response.json()


def test_quick_create_makes_a_customer_with_its_domain(cast):
    client = api_client(cast.reseller_admin)
    response = post(
        client,
        reverse("api:customer-create"),
        {
            "parent": cast.reseller.pk,
            "name": "Api Customer",
            "email": "it@api-customer.example",
            "domain_name": "api-customer.example",
        },
    )
    assert response.status_code == 201, response.json()
    created = Organisation.objects.get(pk=response.json()["id"])
    assert created.parent == cast.reseller and created.status == "draft"
    assert response["Location"] == reverse("api:organisation-detail", args=[created.pk])
    assert list(created.domains.values_list("name", flat=True)) == ["api-customer.example"]
    again = post(
        client,
        reverse("api:customer-create"),
        {
            "parent": cast.reseller.pk,
            "name": "Api Customer Two",
            "email": "it@api-customer.example",
            "domain_name": "api-customer.example",
        },
    )
    assert again.status_code == 400 and "domain_name" in again.json()


def test_lifecycle_answers_202_with_the_job_to_follow(cast):
    Organisation.objects.filter(pk=cast.customer.pk).update(status="active")
    client = api_client(cast.reseller_admin)
    response = post(client, reverse("api:organisation-suspend", args=[cast.customer.pk]))
    assert response.status_code == 202
    job = Job.objects.get(organisation=cast.customer, kind="suspend_organisation")
    assert response["Location"].endswith(reverse("api:job-detail", args=[job.pk]))
    assert response.json()["jobs"][0]["id"] == job.pk
    followed = client.get(response["Location"]).json()
    assert followed["state"] == "queued"
    # Suspended: suspending again is refused by the state table with its message.
    again = post(client, reverse("api:organisation-suspend", args=[cast.customer.pk]))
    assert again.status_code == 400 and again.json()["non_field_errors"]


def test_the_provider_is_never_suspended_by_its_own_admins(cast):
    client = api_client(cast.provider_admin)
    response = post(client, reverse("api:organisation-suspend", args=[cast.provider.pk]))
    assert response.status_code == 403


def test_users_are_created_edited_disabled_and_reset_through_the_actions(cast):
    client = api_client(cast.customer_admin)
    domain = cast.customer.primary_domain.name
    response = post(
        client,
        reverse("api:user-list"),
        {
            "organisation": cast.customer.pk,
            "upn": f"ada.lovelace@{domain}",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "password": "Analytical-Engine-1843",
        },
    )
    assert response.status_code == 201, response.json()
    person = User.objects.get(pk=response.json()["id"])
    assert person.username == "alovelace" and person.display_name == "Ada Lovelace"
    url = reverse("api:user-detail", args=[person.pk])
    assert patch(client, url, {"last_name": "King"}).status_code == 200
    person.refresh_from_db()
    assert person.last_name == "King"
    response = post(client, reverse("api:user-disable", args=[person.pk]))
    assert response.status_code in (200, 202)
    person.refresh_from_db()
    assert not person.is_active
    weak = post(client, reverse("api:user-reset-password", args=[person.pk]), {"password": "x"})
    assert weak.status_code == 400 and "password" in json.dumps(weak.json())
    wrong = post(
        client,
        reverse("api:user-list"),
        {"organisation": cast.customer.pk, "upn": "someone@elsewhere.example"},
    )
    assert wrong.status_code == 400


def test_a_users_email_aliases_are_read_and_set_through_the_edit_action(cast):
    client = api_client(cast.customer_admin)
    url = reverse("api:user-detail", args=[cast.end_user.pk])
    domain = cast.customer.primary_domain.name

    response = patch(client, url, {"email_aliases": [f"Sales@{domain}"]})
    assert response.status_code == 200, response.json()
    assert client.get(url).json()["email_aliases"] == [f"sales@{domain}"]
    elsewhere = cast.customer2.primary_domain.name
    refused = patch(client, url, {"email_aliases": [f"sales@{elsewhere}"]})
    assert refused.status_code == 400, refused.json()
    assert "email_aliases" in json.dumps(refused.json())


def test_a_user_in_a_foreign_organisation_is_a_404(cast):
    client = api_client(cast.reseller2_admin)
    assert client.get(reverse("api:user-detail", args=[cast.end_user.pk])).status_code == 404
    response = post(
        client,
        reverse("api:user-list"),
        {"organisation": cast.customer.pk, "upn": "x@example.com"},
    )
    assert response.status_code == 404


def test_jobs_are_listed_newest_first_and_cancelled_through_the_action(cast):
    older = Job.objects.create(
        kind="update_user", organisation=cast.customer, target_label="a", lock_key="a"
    )
    newer = Job.objects.create(
        kind="update_user", organisation=cast.customer, target_label="b", lock_key="b"
    )
    client = api_client(cast.customer_admin)
    listed = [j["id"] for j in client.get(reverse("api:job-list")).json()["results"]]
    assert listed[:2] == [newer.pk, older.pk]
    response = post(client, reverse("api:job-cancel", args=[older.pk]))
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    again = post(client, reverse("api:job-cancel", args=[older.pk]))
    assert again.status_code == 400


@pytest.mark.parametrize(
    ("name", "queries"),
    [("api:user-list", USER_LIST_QUERIES), ("api:job-list", JOB_LIST_QUERIES)],
)
def test_list_endpoints_cost_a_fixed_number_of_queries(
    cast, django_assert_num_queries, name, queries
):
    for n in range(3):
        Job.objects.create(
            kind="update_user", organisation=cast.customer, target_label=str(n), lock_key=str(n)
        )
    client = api_client(cast.reseller_admin)
    with django_assert_num_queries(queries):
        assert client.get(reverse(name)).status_code == 200


def test_anonymous_requests_are_401_with_the_scheme_to_use(cast):
    from django.test import Client

    response = Client().get(reverse("api:organisation-list"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


CONTACT_LIST_QUERIES = 5  # key, last use, scope, the organisation, the page


def test_contacts_are_added_edited_and_deleted_through_the_actions(cast, django_assert_num_queries):
    client = api_client(cast.customer_admin)
    url = reverse("api:contact-list", args=[cast.customer.pk])
    added = post(client, url, {"name": "Grace Hopper", "email": "grace@example.com"})
    assert added.status_code == 201, added.json()
    detail = added["Location"]
    etag = client.get(detail)["ETag"]
    assert patch(client, detail, {"phone": "+1 555"}, HTTP_IF_MATCH=etag).status_code == 200
    assert client.delete(detail, HTTP_IF_MATCH=etag).status_code == 412
    assert client.delete(detail).status_code == 204
    assert client.get(detail).status_code == 404
    post(client, url, {"name": "Second"})
    client.get(url)
    with django_assert_num_queries(CONTACT_LIST_QUERIES - 1):
        assert [c["name"] for c in client.get(url).json()["results"]] == ["Second"]
    other = api_client(cast.reseller2_admin)
    assert other.get(url).status_code == 404
