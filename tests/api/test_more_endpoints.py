"""Domains, roles and grants, the catalogue, subscriptions and assignments, bulk import and
Check directory over /api/v1/: the same actions as the pages, with their rules and words."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import DriftReport, Job
from customers.models import (
    CustomerService,
    Domain,
    Organisation,
    Plan,
    Role,
    RoleGrant,
    Service,
    UserImport,
    UserService,
)
from tests.api.helpers import api_client
from tests.api.test_endpoints import patch, post
from tests.factories import UserFactory
from tests.fixtures.catalogue import customer_vpn, subscribe, vpn_plan, vpn_service

pytestmark = pytest.mark.django_db

# The key (with its owner), its last-use write (a fresh key), the scope, the object in the
# URL (the organisation, or the subscription), the page.
NESTED_LIST_QUERIES = 5


def test_domains_are_added_made_primary_and_removed_with_the_tabs_rules(cast):
    client = api_client(cast.customer_admin)
    url = reverse("api:domain-list", args=[cast.customer.pk])
    response = post(client, url, {"name": "Api-Alias.example"})
    assert response.status_code == 201, response.json()
    alias = Domain.objects.get(pk=response.json()["id"])
    assert alias.name == "api-alias.example" and not alias.is_verified
    assert response.json()["txt_record"] == alias.txt_record
    taken = post(client, url, {"name": cast.customer2.primary_domain.name})
    assert taken.status_code == 400 and "name" in taken.json()
    primary = cast.customer.primary_domain
    refused = client.delete(reverse("api:domain-detail", args=[cast.customer.pk, primary.pk]))
    assert refused.status_code == 400
    response = post(client, reverse("api:domain-primary", args=[cast.customer.pk, alias.pk]))
    assert response.status_code == 200 and response.json()["is_primary"]
    # Only the provider's administrators verify by hand.
    verify = reverse("api:domain-verify", args=[cast.customer.pk, alias.pk])
    assert post(client, verify).status_code == 403
    assert post(api_client(cast.provider_admin), verify).json()["is_verified"]
    spare = post(client, url, {"name": "spare.example"}).json()["id"]
    gone = client.delete(reverse("api:domain-detail", args=[cast.customer.pk, spare]))
    assert gone.status_code == 204
    assert not Domain.objects.filter(pk=spare).exists()


def test_a_domain_of_another_customer_is_not_found_through_this_one(cast):
    client = api_client(cast.provider_admin)
    foreign = cast.customer2.primary_domain
    url = reverse("api:domain-detail", args=[cast.customer.pk, foreign.pk])
    assert client.get(url).status_code == 404


def test_roles_are_granted_and_revoked_only_within_the_granters_power(cast):
    client = api_client(cast.customer_admin)
    offered = client.get(reverse("api:role-list", args=[cast.customer.pk])).json()
    names = {role["name"] for role in offered}
    assert "Help Desk" in names and "Provider Admin" not in names
    help_desk = Role.objects.get(name="Help Desk")
    url = reverse("api:grant-list", args=[cast.customer.pk])
    response = post(client, url, {"user": cast.end_user.pk, "role": help_desk.pk})
    assert response.status_code == 201, response.json()
    grant = RoleGrant.objects.get(pk=response.json()["id"])
    provider_admin = Role.objects.get(name="Provider Admin")
    refused = post(client, url, {"user": cast.end_user.pk, "role": provider_admin.pk})
    assert refused.status_code == 403
    # A user of another tenant is not found, as in a URL.
    foreign = post(client, url, {"user": cast.customer2_admin.pk, "role": help_desk.pk})
    assert foreign.status_code == 404
    detail = reverse("api:grant-detail", args=[cast.customer.pk, grant.pk])
    assert client.delete(detail).status_code == 204
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()


def test_nobody_revokes_a_role_with_more_power_than_they_hold(cast):
    """The rule is the action's now (revoke_role), so the page and the API share it."""
    grant = cast.reseller_admin.role_grants.get(organisation=cast.reseller)
    # Make the customer's admin able to grant roles on the reseller's grant's organisation:
    # they still lack the Reseller Admin's permissions there, so the revoke is refused.
    url = reverse("api:grant-detail", args=[cast.reseller.pk, grant.pk])
    assert api_client(cast.customer_admin).delete(url).status_code == 404
    assert api_client(cast.provider_admin).delete(url).status_code == 204


def test_the_catalogue_is_the_provider_admins_and_validated_by_its_forms(cast):
    client = api_client(cast.provider_admin)
    response = post(
        client,
        reverse("api:service-list"),
        {"code": "FS", "name": "File Share", "service_type": "home_folder"},
    )
    assert response.status_code == 201, response.json()
    service = Service.objects.get(pk=response.json()["id"])
    bad = post(
        client,
        reverse("api:service-list"),
        {"code": "X1", "name": "Bad", "service_type": "no-such-type"},
    )
    assert bad.status_code == 400 and "service_type" in bad.json()
    duplicate = post(
        client,
        reverse("api:service-list"),
        {"code": "FS", "name": "Other", "service_type": "home_folder"},
    )
    assert duplicate.status_code == 400 and "code" in duplicate.json()
    response = patch(
        client,
        reverse("api:service-detail", args=[service.pk]),
        {"settings": {"path": "\\\\fs1\\home\\{username}", "drive": "H:"}},
    )
    assert response.status_code == 200, response.json()
    service.refresh_from_db()
    assert service.settings["drive"] == "H:" and service.name == "File Share"
    plan = post(client, reverse("api:plan-list", args=[service.pk]), {"name": "Standard"})
    assert plan.status_code == 201, plan.json()
    plan_url = reverse("api:plan-detail", args=[plan.json()["id"]])
    assert patch(client, plan_url, {"user_limit": 25}).json()["user_limit"] == 25
    assert api_client(cast.reseller_admin).get(reverse("api:service-list")).status_code == 403


def test_a_customer_is_given_only_what_its_reseller_holds_and_users_get_seats(cast):
    Organisation.objects.filter(pk=cast.customer.pk).update(status="active")
    vpn = vpn_plan()
    subscribe(cast.reseller, vpn)
    other = Plan.objects.create(
        service=Service.objects.create(code="MAIL", name="Mail", service_type="mail_attributes"),
        name="Basic",
    )
    client = api_client(cast.reseller_admin)
    offered = client.get(reverse("api:offered-plan-list", args=[cast.customer.pk])).json()
    offered = {plan["id"] for plan in offered}
    assert vpn.pk in offered and other.pk not in offered
    url = reverse("api:subscription-list", args=[cast.customer.pk])
    refused = post(client, url, {"plan": other.pk})
    assert refused.status_code == 400 and "plan" in refused.json()
    response = post(client, url, {"plan": vpn.pk, "user_limit": 1})
    assert response.status_code == 201, response.json()
    assert 'rel="job"' in response["Link"]
    subscription = CustomerService.objects.get(pk=response.json()["id"])
    # Its own admins may not give themselves services, but may give them to their users.
    admin = api_client(cast.customer_admin)
    assert post(admin, url, {"plan": vpn.pk}).status_code == 403
    assignments = reverse("api:assignment-list", args=[subscription.pk])
    response = post(admin, assignments, {"users": [cast.end_user.pk]})
    assert response.status_code == 202, response.json()
    assert Job.objects.filter(pk=response.json()["jobs"][0]["id"], kind="assign_services")
    full = post(admin, assignments, {"users": [cast.help_desk.pk]})
    assert full.status_code == 400
    listed = admin.get(assignments).json()["results"]
    assert [row["user"] for row in listed] == [cast.end_user.pk]
    detail = admin.get(reverse("api:subscription-detail", args=[subscription.pk])).json()
    assert detail["seats_used"] == 1 and detail["user_limit"] == 1
    taken = post(
        admin,
        reverse("api:assignment-take", args=[subscription.pk]),
        {"users": [cast.end_user.pk]},
    )
    assert taken.status_code == 202
    assert not UserService.objects.filter(subscription=subscription).exists()
    seats = patch(
        client, reverse("api:subscription-detail", args=[subscription.pk]), {"user_limit": 3}
    )
    assert seats.status_code == 200 and seats.json()["user_limit"] == 3


def test_a_subscription_is_taken_away_with_confirmation_when_users_have_it(cast):
    subscription = customer_vpn(cast)
    UserService.objects.create(user=cast.end_user, subscription=subscription)
    client = api_client(cast.reseller_admin)
    url = reverse("api:subscription-detail", args=[subscription.pk])
    refused = client.delete(url)
    assert refused.status_code == 400
    assert client.delete(url + "?confirm=true").status_code == 200
    assert not CustomerService.objects.filter(pk=subscription.pk).exists()


def _csv(*lines: str) -> SimpleUploadedFile:
    text = "\n".join(["UPN,First Name,Last Name", *lines]) + "\n"
    return SimpleUploadedFile("users.csv", text.encode(), content_type="text/csv")


def test_bulk_import_answers_202_with_the_import_to_follow(
    cast, django_capture_on_commit_callbacks
):
    Organisation.objects.filter(pk=cast.customer.pk).update(status="active")
    domain = cast.customer.primary_domain.name
    client = api_client(cast.customer_admin)
    url = reverse("api:import-create", args=[cast.customer.pk])
    bad = client.post(url, {"file": _csv(f"one@{domain},One,Person", "not-an-upn,Two,Person")})
    assert bad.status_code == 400 and bad.json()["rows"]
    assert not UserImport.objects.exists()
    with django_capture_on_commit_callbacks():
        response = client.post(
            url,
            {
                "file": _csv(f"one@{domain},One,Person", "not-an-upn,Two,Person"),
                "only_valid": "true",
            },
        )
    assert response.status_code == 202, response.json()
    queued = UserImport.objects.get(pk=response.json()["id"])
    assert queued.state == "queued" and queued.rows_valid == 1
    assert response["Location"].endswith(reverse("api:import-detail", args=[queued.pk]))
    followed = client.get(response["Location"]).json()
    assert followed["state"] == "queued" and followed["job_url"] is None


def test_check_directory_starts_a_reconcile_job_and_shows_the_latest_report(cast):
    client = api_client(cast.customer_admin)
    report_url = reverse("api:directory-report", args=[cast.customer.pk])
    assert client.get(report_url).status_code == 204
    check = reverse("api:directory-check", args=[cast.customer.pk])
    not_there = post(client, check)
    assert not_there.status_code == 400
    Organisation.objects.filter(pk=cast.customer.pk).update(directory_guid=uuid.uuid4())
    response = post(client, check)
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["jobs"][0]["id"])
    assert job.kind == "reconcile" and job.payload["mode"] == "report"
    DriftReport.objects.create(organisation=cast.customer, job=job, found=2, remaining=2)
    assert client.get(report_url).json()["found"] == 2
    help_desk = api_client(cast.help_desk)
    repair = reverse("api:directory-repair", args=[cast.customer.pk])
    assert post(help_desk, repair).status_code == 403


@pytest.mark.parametrize(
    "name, args",
    [
        ("api:domain-list", lambda c: [c.customer.pk]),
        ("api:grant-list", lambda c: [c.customer.pk]),
        ("api:subscription-list", lambda c: [c.customer.pk]),
        ("api:assignment-list", lambda c: [customer_vpn(c).pk]),
    ],
)
def test_nested_lists_cost_the_same_for_one_row_or_many(
    cast, django_assert_num_queries, name, args
):
    url = reverse(name, args=args(cast))
    first, later = api_client(cast.reseller_admin), api_client(cast.reseller_admin)
    with django_assert_num_queries(NESTED_LIST_QUERIES):
        assert first.get(url).status_code == 200
    for n in range(4):
        person = UserFactory(username=f"many{n}", organisation=cast.customer, role="Help Desk")
        Domain.objects.create(organisation=cast.customer, name=f"many{n}.example")
        UserService.objects.create(user=person, subscription=customer_vpn(cast))
        subscribe(
            cast.customer,
            Plan.objects.create(
                service=Service.objects.create(
                    code=f"S{n}", name=f"Service {n}", service_type="security_group"
                ),
                name="Standard",
            ),
        )
    with django_assert_num_queries(NESTED_LIST_QUERIES):
        body = later.get(url).json()
    assert len(body["results"]) > 1


def test_the_catalogue_lists_cost_a_fixed_number_of_queries(cast, django_assert_num_queries):
    client = api_client(cast.provider_admin)
    vpn_service()
    for n in range(3):
        Plan.objects.create(service=vpn_service(), name=f"Plan {n}")
    with django_assert_num_queries(4):
        assert client.get(reverse("api:service-list")).status_code == 200
    with django_assert_num_queries(5):
        assert client.get(reverse("api:plan-list", args=[vpn_service().pk])).status_code == 200
