"""Services in the real directory (the project's Samba DC): groups, membership, attributes,
a bulk import, and a service type defined here, provisioned and removed through the engine."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.actors import SYSTEM
from core.jobs import JobKind
from core.models import Job, JobState
from customers.actions import catalogue
from customers.actions.assignments import give_service, take_service
from customers.actions.imports import check_upload, run_import
from customers.actions.lifecycle import provision_organisation
from customers.actions.users import user_job
from customers.models import CustomerService, Plan, Service, User
from directory import delete_tree, ensure_ou, find_user_by_guid, get_members, ou_dn, verify_password
from directory.dn import dn_key
from directory.entry import texts
from provisioning.drivers import ServiceDriver, register_driver, unregister_driver
from provisioning.drivers.helpers import attribute_steps
from provisioning.job_plans.base import Step
from tests.fixtures.directory_tenants import ADMIN_PASSWORD
from tests.provisioning.helpers import read_entry, run

pytestmark = [pytest.mark.directory, pytest.mark.django_db]


def succeeded(job: Job) -> Job:
    job = run(job)
    assert job.state == JobState.SUCCEEDED, job.error
    return job


@pytest.fixture
def customer(tenants, directory_settings):
    """A provisioned customer with one administrator whose account exists."""
    organisation = tenants.customer()
    admin = tenants.user(organisation)
    succeeded(provision_organisation(actor=SYSTEM, organisation=organisation))
    succeeded(user_job(kind=JobKind.CREATE_USER, actor=SYSTEM, user=admin, password=ADMIN_PASSWORD))
    organisation.refresh_from_db()
    admin.refresh_from_db()
    return organisation, admin


def service(tenants, service_type: str, **settings) -> Plan:
    code = tenants.unique("S").upper()
    made = Service.objects.create(
        code=code, name=f"Service {code}", service_type=service_type, settings=settings
    )
    return Plan.objects.create(service=made, name="Standard")


def provisioned(organisation, plan) -> CustomerService:
    subscription, job = catalogue.provision_service(
        actor=SYSTEM, organisation=organisation, plan=plan
    )
    succeeded(job)
    subscription.refresh_from_db()
    assert subscription.status == "active"
    return subscription


def group_members(ldap, subscription) -> list:
    groups = ou_dn(subscription_dn(ldap, subscription), "Groups")
    from directory import cn_dn

    name = f"{subscription.organisation.code}-{subscription.service.code}"
    return [dn_key(m) for m in get_members(ldap, cn_dn(groups, name))]


def subscription_dn(ldap, subscription) -> str:
    from directory import find_by_guid

    return find_by_guid(ldap, subscription.organisation.directory_guid, ["ou"])["dn"]


def account(ldap, user: User) -> dict:
    user.refresh_from_db()
    return find_user_by_guid(
        ldap,
        user.directory_guid,
        ["homeDirectory", "homeDrive", "mail", "proxyAddresses", "description"],
    )


def test_a_security_group_service_from_provisioning_to_removal(customer, tenants, ldap):
    organisation, admin = customer
    subscription = provisioned(organisation, service(tenants, "security_group"))
    assert group_members(ldap, subscription) == []

    succeeded(give_service(actor=SYSTEM, subscription=subscription, users=[admin]))
    assert group_members(ldap, subscription) == [dn_key(account(ldap, admin)["dn"])]
    succeeded(take_service(actor=SYSTEM, subscription=subscription, users=[admin]))
    assert group_members(ldap, subscription) == []

    succeeded(give_service(actor=SYSTEM, subscription=subscription, users=[admin]))
    job = catalogue.deprovision_service(actor=SYSTEM, subscription=subscription, confirm=True)
    assert job.kind == JobKind.DEPROVISION_SERVICE
    succeeded(job)
    assert not CustomerService.objects.filter(pk=subscription.pk).exists()
    with pytest.raises(Exception, match="does not exist"):
        group_members(ldap, subscription)


def test_home_folder_and_mail_attributes_follow_the_service(customer, tenants, ldap):
    organisation, admin = customer
    home = provisioned(
        organisation,
        service(tenants, "home_folder", path="\\\\fs1\\home\\{customer}\\{username}", drive="H:"),
    )
    mail = provisioned(organisation, service(tenants, "mail_attributes"))
    succeeded(give_service(actor=SYSTEM, subscription=home, users=[admin]))
    succeeded(give_service(actor=SYSTEM, subscription=mail, users=[admin]))
    entry = account(ldap, admin)
    assert texts(entry, "homeDirectory") == [
        f"\\\\fs1\\home\\{organisation.code}\\{admin.username}"
    ]
    assert texts(entry, "homeDrive") == ["H:"]
    assert texts(entry, "mail") == [admin.upn]
    assert f"SMTP:{admin.upn}" in texts(entry, "proxyAddresses")

    succeeded(take_service(actor=SYSTEM, subscription=home, users=[admin]))
    succeeded(take_service(actor=SYSTEM, subscription=mail, users=[admin]))
    entry = account(ldap, admin)
    assert texts(entry, "homeDirectory") == [] and texts(entry, "proxyAddresses") == []


# --- The plug-in interface: a service type of this test module ---------------------------------


class Printing(ServiceDriver):
    """Per customer, an OU for its printers; per user, a description saying they may print."""

    code = "test_printing"
    label = "Printing (test)"

    def provision_customer(self, subscription):
        organisation = subscription.organisation

        def run_step(ctx):
            ensure_ou(ctx.conn, ctx.layout.organisation_dn(organisation), "Printers")
            ctx.touched(ou_dn(ctx.layout.organisation_dn(organisation), "Printers"))

        return [Step("Make the Printers OU", run_step)]

    def give(self, subscription, users):
        return attribute_steps(users, lambda user: {"description": ["May print"]}, "Allow")

    def take(self, subscription, users):
        return attribute_steps(users, lambda user: {"description": []}, "Disallow")

    def remove_customer(self, subscription):
        organisation = subscription.organisation

        def run_step(ctx):
            delete_tree(ctx.conn, ou_dn(ctx.layout.organisation_dn(organisation), "Printers"))

        return [Step("Delete the Printers OU", run_step)]


@pytest.fixture
def printing():
    register_driver(Printing)
    yield Printing
    unregister_driver(Printing.code)


def test_a_service_type_defined_elsewhere_provisions_and_deprovisions(
    printing, customer, tenants, ldap
):
    organisation, admin = customer
    subscription = provisioned(organisation, service(tenants, printing.code))
    printers = ou_dn(subscription_dn(ldap, subscription), "Printers")
    assert read_entry(ldap, printers) is not None

    succeeded(give_service(actor=SYSTEM, subscription=subscription, users=[admin]))
    assert texts(account(ldap, admin), "description") == ["May print"]

    succeeded(catalogue.deprovision_service(actor=SYSTEM, subscription=subscription, confirm=True))
    assert texts(account(ldap, admin), "description") == []
    assert read_entry(ldap, printers) is None


def test_a_bulk_import_creates_accounts_that_can_sign_in(customer, tenants, ldap, samba_dc):
    organisation, _ = customer
    vpn = provisioned(organisation, service(tenants, "security_group"))
    domain = organisation.primary_domain.name
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["UPN", "First Name", "Last Name", "Password", "Services"])
    for n in range(5):
        writer.writerow(
            [f"imp{n}{tenants.tag}@{domain}", "Imp", f"N{n}", "Bulk-Secret-42!", vpn.service.code]
        )
    upload = SimpleUploadedFile("u.csv", out.getvalue().encode())
    checked = check_upload(actor=SYSTEM, organisation=organisation, upload=upload, filename="u.csv")
    assert checked.errors == []
    job = succeeded(run_import(actor=SYSTEM, user_import=checked))
    assert job.secret == ""
    assert job.steps_done == job.steps_total >= 3
    imported = list(User.objects.filter(upn__startswith="imp").order_by("pk"))
    dns = sorted(dn_key(account(ldap, u)["dn"]) for u in imported)
    assert sorted(group_members(ldap, vpn)) == dns
    assert verify_password(samba_dc, imported[0].upn, "Bulk-Secret-42!")
    imported[0].refresh_from_db()
    assert imported[0].check_password("Bulk-Secret-42!")  # the portal's hash, set by the job


def test_services_given_to_a_draft_customer_are_built_when_it_is_provisioned(
    tenants, directory_settings, ldap
):
    organisation = tenants.customer()
    admin = tenants.user(organisation)
    plan = service(tenants, "security_group")
    subscription, job = catalogue.provision_service(
        actor=SYSTEM, organisation=organisation, plan=plan
    )
    assert job is None  # nothing to build it in yet
    give_service(actor=SYSTEM, subscription=subscription, users=[admin])
    succeeded(provision_organisation(actor=SYSTEM, organisation=organisation))
    organisation.refresh_from_db()
    subscription.refresh_from_db()
    assert subscription.status == "active"
    assert group_members(ldap, subscription) == [dn_key(account(ldap, admin)["dn"])]
