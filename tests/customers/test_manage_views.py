"""Manage: edit, contacts, domains, roles, jobs, history, lifecycle, delete, restore, reseller."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import Job
from customers.models import Contact, Domain, Organisation, Role, RoleGrant, Status
from tests.customers.helpers import edit_data, in_directory, set_status, url
from tests.factories import UserFactory
from tests.fixtures.catalogue import subscribe

pytestmark = pytest.mark.django_db


def test_an_edit_is_saved_and_recorded_in_history_with_who_and_before_after(cast, login):
    client = login(cast.reseller_admin)
    response = client.post(
        url("edit", cast.customer.pk), edit_data(cast.customer, name="Customer Uno")
    )
    assert response.status_code == 302
    cast.customer.refresh_from_db()
    assert cast.customer.name == "Customer Uno"
    page = client.get(url("history", cast.customer.pk)).content.decode()
    assert "radmin" in page
    assert "Customer One" in page and "Customer Uno" in page and "Full Name" in page


def test_the_code_is_locked_once_provisioned_and_the_edit_is_applied_by_a_job(cast, login):
    set_status(cast.customer, Status.ACTIVE, provisioned=True)
    client = login(cast.reseller_admin)
    form = client.get(url("edit", cast.customer.pk)).context["form"]
    assert form.fields["code"].disabled
    client.post(
        url("edit", cast.customer.pk), edit_data(cast.customer, code="NEWCODE", city="Oslo")
    )
    cast.customer.refresh_from_db()
    assert cast.customer.code == "CONE"
    assert cast.customer.city == "Oslo"
    assert Job.objects.get(organisation=cast.customer).kind == "update_organisation"


def test_save_provision_on_a_draft_starts_provisioning(cast, login):
    in_directory(cast.reseller)
    client = login(cast.reseller_admin)
    client.post(url("edit", cast.customer.pk), {**edit_data(cast.customer), "save_provision": "1"})
    cast.customer.refresh_from_db()
    assert cast.customer.status == Status.PROVISIONING
    assert Job.objects.get(organisation=cast.customer).kind == "provision_organisation"


def test_a_customer_admin_edits_details_but_not_what_its_parent_decides(cast, login):
    client = login(cast.customer_admin)
    form = client.get(url("edit", cast.customer.pk)).context["form"]
    assert form.fields["user_limit"].disabled and form.fields["allowed_roles"].disabled
    client.post(
        url("edit", cast.customer.pk),
        edit_data(cast.customer, phone="+44 1", user_limit=100000, public_sector="on"),
    )
    cast.customer.refresh_from_db()
    assert cast.customer.phone == "+44 1"
    assert cast.customer.user_limit is None
    assert not cast.customer.public_sector


def test_an_edit_keeps_roles_the_editor_cannot_see(cast, login):
    cloned = Role.objects.create(name="Secret Clone", organisation=cast.customer)
    cast.customer.allowed_roles.add(cloned)
    client = login(cast.reseller_admin)
    client.post(url("edit", cast.customer.pk), edit_data(cast.customer, allowed_roles=[]))
    assert list(cast.customer.allowed_roles.all()) == [cloned]


def test_help_desk_may_look_but_not_edit(cast, login):
    client = login(cast.help_desk)
    assert client.get(url("detail", cast.customer.pk)).status_code == 200
    assert client.get(url("edit", cast.customer.pk)).status_code == 403
    assert client.post(url("contacts", cast.customer.pk), {"name": "X"}).status_code == 403


def test_contacts_are_added_edited_and_deleted_after_confirmation(cast, login):
    client = login(cast.customer_admin)
    client.post(
        url("contacts", cast.customer.pk),
        {"name": "O'Brien, Zoë", "email": "zoe@example.com", "phone": "+1", "role": "Billing"},
    )
    contact = Contact.objects.get(organisation=cast.customer)
    assert contact.name == "O'Brien, Zoë"
    response = client.post(url("contacts", cast.customer.pk), {"name": "", "email": "bad"})
    assert "This field is required." in response.context["form"].errors["name"]
    assert "valid email" in " ".join(response.context["form"].errors["email"])
    client.post(
        url("contact_edit", cast.customer.pk, contact.pk),
        {"name": "Zoë O'Brien", "email": "zoe@example.com", "phone": "+2", "role": "Billing"},
    )
    contact.refresh_from_db()
    assert (contact.name, contact.phone) == ("Zoë O'Brien", "+2")
    page = client.get(url("contact_delete", cast.customer.pk, contact.pk)).content.decode()
    assert "Yes, Delete" in page
    assert Contact.objects.filter(pk=contact.pk).exists()
    client.post(url("contact_delete", cast.customer.pk, contact.pk))
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_domains_aliases_come_and_go_and_the_primary_changes_only_to_an_alias(cast, login):
    client = login(cast.reseller_admin)
    primary = cast.customer.primary_domain
    client.post(url("domains", cast.customer.pk), {"name": "Alias.Example"})
    alias = Domain.objects.get(name="alias.example")
    assert alias.organisation == cast.customer and not alias.is_primary
    taken = cast.customer2.primary_domain.name
    response = client.post(url("domains", cast.customer.pk), {"name": taken})
    assert "is not available" in " ".join(response.context["form"].errors["name"])
    response = client.post(url("domains", cast.customer.pk), {"name": "not a domain"})
    assert "Enter a domain name" in " ".join(response.context["form"].errors["name"])
    # A foreign domain cannot be made primary here: it is not found in this customer.
    foreign = cast.customer2.primary_domain
    assert client.post(url("domain_make_primary", cast.customer.pk, foreign.pk)).status_code == 404
    client.post(url("domain_make_primary", cast.customer.pk, alias.pk))
    alias.refresh_from_db()
    primary.refresh_from_db()
    assert alias.is_primary and not primary.is_primary
    client.post(url("domain_remove", cast.customer.pk, alias.pk))
    assert Domain.objects.filter(pk=alias.pk).exists()  # the primary stays
    client.post(url("domain_remove", cast.customer.pk, primary.pk))
    assert Domain.objects.filter(pk=primary.pk).exists()  # users sign in with it
    client.post(url("domains", cast.customer.pk), {"name": "spare.example"})
    spare = Domain.objects.get(name="spare.example")
    client.post(url("domain_remove", cast.customer.pk, spare.pk))
    assert not Domain.objects.filter(pk=spare.pk).exists()


def test_roles_are_granted_and_revoked_from_the_tab(cast, login):
    client = login(cast.customer_admin)
    help_desk = Role.objects.get(name="Help Desk")
    page = client.get(url("roles", cast.customer.pk)).content.decode()
    assert "Reseller Admin</option>" not in page
    client.post(url("roles", cast.customer.pk), {"user": cast.end_user.pk, "role": help_desk.pk})
    grant = RoleGrant.objects.get(user=cast.end_user, role=help_desk)
    response = client.post(
        url("roles", cast.customer.pk),
        {"user": cast.end_user.pk, "role": Role.objects.get(name="Reseller Admin").pk},
    )
    assert "valid choice" in " ".join(response.context["form"].errors["role"])
    client.post(url("role_revoke", cast.customer.pk, grant.pk))
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()


def test_nobody_revokes_a_role_more_powerful_than_their_own(cast, login):
    boss = UserFactory(username="boss", organisation=cast.customer, role="User")
    grant = RoleGrant.objects.create(
        user=boss, organisation=cast.customer, role=Role.objects.get(name="Reseller Admin")
    )
    client = login(cast.customer_admin)
    assert client.post(url("role_revoke", cast.customer.pk, grant.pk)).status_code == 403


def test_jobs_tab_lists_the_customers_jobs(cast, login):
    in_directory(cast.reseller)
    client = login(cast.reseller_admin)
    client.post(url("provision", cast.customer.pk))
    page = client.get(url("jobs", cast.customer.pk)).content.decode()
    job = Job.objects.get(organisation=cast.customer)
    assert job.get_absolute_url() in page and "Queued" in page


def test_suspend_deprovision_delete_restore(cast, login):
    org = cast.customer
    set_status(org, Status.ACTIVE, provisioned=True)
    client = login(cast.reseller_admin)
    response = client.post(url("delete", org.pk), {"confirm_code": "CONE"})
    assert "Deprovision the customer before deleting it" in response.content.decode()
    response = client.post(url("deprovision", org.pk), follow=True)
    assert "Suspend the customer before deprovisioning it" in response.content.decode()
    client.post(url("suspend", org.pk))
    org.refresh_from_db()
    assert org.status == Status.SUSPENDED
    client.post(url("deprovision", org.pk))
    org.refresh_from_db()
    assert org.status == Status.DEPROVISIONING
    kinds = list(Job.objects.filter(organisation=org).values_list("kind", flat=True))
    assert kinds == ["deprovision_organisation", "suspend_organisation"]
    set_status(org, Status.DEPROVISIONED)  # what the engine does when its job succeeds
    response = client.post(url("delete", org.pk), {"confirm_code": "cone"})
    assert "exactly" in " ".join(response.context["form"].errors["confirm_code"])
    response = client.post(url("delete", org.pk), {"confirm_code": "CONE"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.status == Status.DELETED
    assert client.get(url("restore", org.pk)).status_code == 403
    provider = login(cast.provider_admin)
    provider.post(url("restore", org.pk))
    org.refresh_from_db()
    assert org.status == Status.DEPROVISIONED


def test_a_customer_deleted_too_long_ago_cannot_be_restored(cast, login):
    Organisation.objects.filter(pk=cast.customer.pk).update(
        status=Status.DELETED, deleted_at=timezone.now() - timedelta(days=31)
    )
    response = login(cast.provider_admin).post(url("restore", cast.customer.pk), follow=True)
    assert "can no longer be restored" in response.content.decode()


def test_a_customer_admin_cannot_suspend_its_own_customer(cast, login):
    set_status(cast.customer, Status.ACTIVE)
    assert login(cast.customer_admin).post(url("suspend", cast.customer.pk)).status_code == 403
    cast.customer.refresh_from_db()
    assert cast.customer.status == Status.ACTIVE


def test_make_reseller_lets_its_admins_create_customers_in_their_own_subtree(cast, login):
    login(cast.reseller_admin).post(url("make_reseller", cast.customer.pk))
    cast.customer.refresh_from_db()
    assert cast.customer.is_reseller
    client = login(cast.customer_admin)
    response = client.post(
        url("quick_create"),
        {
            "parent": cast.customer.pk,
            "name": "Sub Of One",
            "email": "a@sub.example",
            "domain_name": "sub-of-one.example",
        },
    )
    assert response.status_code == 302
    child = Organisation.objects.get(name="Sub Of One")
    assert child.parent == cast.customer
    listed = {r.record.name for r in client.get(url("list")).context["table"].paginated_rows}
    assert listed == {"Customer One", "Sub Of One"}


@pytest.mark.parametrize(
    "name",
    [
        "detail",
        "edit",
        "contacts",
        "domains",
        "roles",
        "jobs",
        "history",
        "create_similar",
        "wizard_admin",
        "wizard_services",
        "wizard_summary",
        "provision",
        "suspend",
        "resume",
        "deprovision",
        "delete",
        "restore",
        "make_reseller",
    ],
)
def test_a_reseller_admin_gets_404_for_a_sibling_resellers_customer(cast, login, name):
    client = login(cast.reseller_admin)
    assert client.get(url(name, cast.customer2.pk)).status_code == 404
    assert client.post(url(name, cast.customer2.pk), {}).status_code == 404
    contact = Contact.objects.create(organisation=cast.customer2, name="Foreign")
    domain = cast.customer2.primary_domain
    grant = RoleGrant.objects.filter(organisation=cast.customer2).first()
    for path in (
        url("contact_edit", cast.customer2.pk, contact.pk),
        url("contact_delete", cast.customer2.pk, contact.pk),
        url("domain_remove", cast.customer2.pk, domain.pk),
        url("domain_make_primary", cast.customer2.pk, domain.pk),
        url("role_revoke", cast.customer2.pk, grant.pk),
        # ...and a foreign object through one's own customer's URL
        url("contact_delete", cast.customer.pk, contact.pk),
        url("role_revoke", cast.customer.pk, grant.pk),
    ):
        assert client.post(path).status_code == 404, path
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert RoleGrant.objects.filter(pk=grant.pk).exists()


def test_a_users_link_goes_to_the_people_page(cast, login):
    person_url = reverse("users:detail", args=[cast.customer_admin.pk])
    assert cast.customer_admin.get_absolute_url() == person_url
    page = login(cast.reseller_admin).get(url("roles", cast.customer.pk)).content.decode()
    assert person_url in page
    assert login(cast.reseller_admin).get(person_url).status_code == 200


def test_the_summary_shows_services_with_seats_users_and_the_directory(cast, login, settings):
    settings.DIRECTORY_URL = ""
    subscribe(cast.reseller, user_limit=10)
    subscribe(cast.customer, user_limit=4)
    Organisation.objects.filter(pk=cast.customer.pk).update(user_limit=20)
    client = login(cast.reseller_admin)
    page = client.get(url("detail", cast.customer.pk)).content.decode()
    assert "VPN" in page and "Standard" in page and "0 / 4" in page
    users = Organisation.objects.get(pk=cast.customer.pk).users.count()
    assert f"{users} / 20" in page
    assert reverse("catalogue:customer_services", args=[cast.customer.pk]) in page
    assert "No directory is connected" in page
    assert reverse("provisioning:check_directory", args=[cast.customer.pk]) in page
    reseller_page = client.get(url("detail", cast.reseller.pk)).content.decode()
    assert "4 / 10" in reseller_page  # the seats it gave Customer One


def test_the_summary_counts_seats_as_the_limits_do(cast):
    from customers.actions.limits import subscription_usage, subscriptions_with_usage

    pool = subscribe(cast.reseller, user_limit=10)
    subscribe(cast.customer, user_limit=4)
    rows = subscriptions_with_usage(cast.reseller.services.all())
    assert [usage for _, usage in rows] == [
        subscription_usage(s) for s in cast.reseller.services.all()
    ]
    assert dict(rows)[pool].used == 4


def test_history_shows_tag_and_role_changes_with_before_and_after(cast, login):
    from customers.actions.organisations import update_organisation
    from customers.models import Role, Tag

    gold = Tag.objects.create(name="gold")
    update_organisation(
        actor=cast.reseller_admin,
        organisation=cast.customer,
        changes={},
        tags=[gold],
        restricted_roles=[Role.objects.get(name="Help Desk")],
    )
    response = login(cast.reseller_admin).get(reverse("customers:history", args=[cast.customer.pk]))
    page = response.content.decode()
    assert "Tags" in page and "gold" in page
    assert "Restricted security roles" in page and "Help Desk" in page
    events = [e for e in response.context["events"] if e.who.startswith(str(cast.reseller_admin))]
    labels = {c.field for e in events for c in e.changes}
    assert {"Tags", "Restricted security roles"} <= labels
