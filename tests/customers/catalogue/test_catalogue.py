"""The catalogue, provisioning services to customers, plans, deprovisioning, service roles."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.actors import SYSTEM
from core.jobs import JobKind
from core.models import Job
from customers.actions import catalogue
from customers.actions.assignments import give_service
from customers.actions.roles import grantable_roles
from customers.models import CustomerService, Organisation, Plan, Role, Service, Status
from tests.fixtures.catalogue import subscribe, vpn_plan, vpn_service

pytestmark = pytest.mark.django_db


def activate(*organisations):
    Organisation.objects.filter(pk__in=[o.pk for o in organisations]).update(status=Status.ACTIVE)
    for organisation in organisations:
        organisation.refresh_from_db()


def test_only_provider_admins_configure_the_catalogue(cast):
    service = Service(code="FS", name="File Share", service_type="security_group")
    with pytest.raises(PermissionDenied):
        catalogue.save_service(actor=cast.reseller_admin, service=service)
    catalogue.save_service(actor=cast.provider_admin, service=service)
    assert Service.objects.filter(code="FS").exists()


def test_a_services_type_is_fixed_once_a_customer_has_it(cast):
    subscribe(cast.customer)
    service = vpn_service()
    service.service_type = "home_folder"
    with pytest.raises(ValidationError, match="cannot change"):
        catalogue.save_service(actor=cast.provider_admin, service=service)


def test_provisioning_a_service_records_a_job_that_builds_it(cast):
    activate(cast.reseller)
    subscription, job = catalogue.provision_service(
        actor=cast.provider_admin, organisation=cast.reseller, plan=vpn_plan(), user_limit=10
    )
    assert subscription.status == "provisioning"
    assert job.kind == JobKind.PROVISION_SERVICE
    assert job.payload["subscription"] == subscription.pk
    assert job.lock_key == f"org:{cast.reseller.pk}"


def test_a_draft_customers_services_wait_for_the_customer(cast):
    _, job = catalogue.provision_service(
        actor=cast.provider_admin, organisation=cast.reseller, plan=vpn_plan()
    )
    assert job is None
    activate(cast.reseller)
    jobs = catalogue.provision_pending_services(actor=SYSTEM, organisation=cast.reseller)
    assert [j.kind for j in jobs] == [JobKind.PROVISION_SERVICE]
    assert catalogue.provision_pending_services(actor=SYSTEM, organisation=cast.reseller) == []


def test_a_reseller_cannot_give_itself_services(cast):
    with pytest.raises(PermissionDenied):
        catalogue.provision_service(
            actor=cast.reseller_admin, organisation=cast.reseller, plan=vpn_plan()
        )


def test_a_reseller_offers_only_what_it_has(cast):
    with pytest.raises(ValidationError, match="not available"):
        catalogue.provision_service(
            actor=cast.reseller_admin, organisation=cast.customer, plan=vpn_plan()
        )
    subscribe(cast.reseller, user_limit=10)
    premium = Plan.objects.create(service=vpn_service(), name="Premium")
    with pytest.raises(ValidationError, match="not available"):
        catalogue.provision_service(
            actor=cast.reseller_admin, organisation=cast.customer, plan=premium, user_limit=5
        )
    catalogue.provision_service(
        actor=cast.reseller_admin, organisation=cast.customer, plan=vpn_plan(), user_limit=5
    )


def test_a_reseller_cannot_give_more_seats_than_it_has(cast):
    subscribe(cast.reseller, user_limit=10)
    subscribe(cast.subreseller, user_limit=6)
    with pytest.raises(ValidationError, match="Only 4 seats"):
        catalogue.provision_service(
            actor=cast.reseller_admin, organisation=cast.customer, plan=vpn_plan(), user_limit=5
        )


def test_the_reseller_service_makes_a_reseller(cast):
    reseller_service = Service.objects.get(code="RESELLER")
    subscribe(cast.reseller, plan=reseller_service.plans.get())  # it can pass on what it has
    catalogue.provision_service(
        actor=cast.reseller_admin, organisation=cast.customer, plan=reseller_service.plans.get()
    )
    cast.customer.refresh_from_db()
    assert cast.customer.is_reseller


def test_changing_the_plan_keeps_seats_within_the_pool(cast):
    subscribe(cast.reseller, user_limit=10)
    subscription = subscribe(cast.customer, user_limit=2)
    with pytest.raises(ValidationError, match="seats are left"):
        catalogue.change_plan(
            actor=cast.reseller_admin, subscription=subscription, plan=vpn_plan(), user_limit=11
        )
    give_service(actor=SYSTEM, subscription=subscription, users=[cast.end_user, cast.help_desk])
    with pytest.raises(ValidationError, match="already uses 2"):
        catalogue.change_plan(
            actor=cast.reseller_admin, subscription=subscription, plan=vpn_plan(), user_limit=1
        )
    catalogue.change_plan(
        actor=cast.reseller_admin, subscription=subscription, plan=vpn_plan(), user_limit=8
    )
    subscription.refresh_from_db()
    assert subscription.user_limit == 8


def test_deprovisioning_is_refused_while_users_have_it_unless_confirmed(cast):
    activate(cast.customer)
    subscribe(cast.reseller)
    subscription = subscribe(cast.customer)
    give_service(actor=SYSTEM, subscription=subscription, users=[cast.end_user])
    with pytest.raises(ValidationError, match="1 users have VPN"):
        catalogue.deprovision_service(actor=cast.reseller_admin, subscription=subscription)
    job = catalogue.deprovision_service(
        actor=cast.reseller_admin, subscription=subscription, confirm=True
    )
    assert job.kind == JobKind.DEPROVISION_SERVICE
    assert job.payload["user_ids"] == [cast.end_user.pk]
    subscription.refresh_from_db()
    assert subscription.status == "deprovisioning"
    assert not subscription.assignments.exists()


def test_a_resellers_service_stays_while_its_customers_have_it(cast):
    pool = subscribe(cast.reseller)
    subscribe(cast.customer)
    with pytest.raises(ValidationError, match="customers first"):
        catalogue.deprovision_service(actor=cast.provider_admin, subscription=pool)


def test_a_draft_customers_service_is_removed_at_once(cast):
    subscribe(cast.reseller)
    subscription = subscribe(cast.customer)
    assert (
        catalogue.deprovision_service(actor=cast.reseller_admin, subscription=subscription) is None
    )
    assert not CustomerService.objects.filter(pk=subscription.pk).exists()
    assert not Job.objects.filter(kind=JobKind.DEPROVISION_SERVICE).exists()


def test_a_service_role_is_grantable_only_where_the_service_is_provisioned(cast):
    role = catalogue.add_service_role(
        actor=cast.provider_admin,
        service=vpn_service(),
        name="VPN Admin",
        description="",
        permissions=Role.objects.get(name="Help Desk").permissions.all(),
    )
    assert role not in grantable_roles(cast.customer_admin, cast.customer)
    subscribe(cast.customer)
    assert role in grantable_roles(cast.customer_admin, cast.customer)
    assert role not in grantable_roles(cast.reseller2_admin, cast.customer2)


def test_the_wizard_can_send_people_back_but_only_within_the_portal(cast, login):
    from django.urls import reverse

    client = login(cast.reseller_admin)
    url = reverse("catalogue:customer_services", args=[cast.customer.pk])
    page = client.get(url, {"next": "/customers/1/setup/summary/"}).content.decode()
    assert 'href="/customers/1/setup/summary/"' in page
    page = client.get(url, {"next": "javascript:alert(1)"}).content.decode()
    assert "javascript:" not in page


def test_a_customers_services_page_costs_the_same_for_one_service_or_five(cast, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = login(cast.reseller_admin)
    url = reverse("catalogue:customer_services", args=[cast.customer.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    subscribe(cast.customer, vpn_plan())
    one = queries()
    for n in range(4):
        service = Service.objects.create(
            code=f"EXTRA{n}", name=f"Extra {n}", service_type="security_group"
        )
        subscribe(cast.customer, Plan.objects.create(service=service, name="Standard"))
    assert queries() == one
