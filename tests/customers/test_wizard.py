"""The wizard after the customer: administrator, services (skippable), summary."""

import pytest
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import urlencode

from core.credentials import decrypt_secret
from core.models import Job
from customers.models import Organisation, Role, Service, Status, User
from tests.customers.helpers import set_status, url
from tests.factories import OrganisationFactory
from tests.fixtures.catalogue import subscribe, vpn_plan

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Sunny-Day-42"


@pytest.fixture
def new_customer(cast):
    return OrganisationFactory(
        name="Acme Widgets Co", code="ACMEW", parent=cast.reseller, domains=["acme.example"]
    )


def admin_data(**overrides):
    data = {
        "upn_local": "wile.e",
        "upn_domain": "acme.example",
        "username": "wilee",
        "first_name": "Wile E.",
        "last_name": "Coyote",
        "display_name": "",
        "email": "wile@acme.example",
        "password": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        "create": "1",
    }
    data.update(overrides)
    return data


def test_a_drafts_first_administrator_gets_a_job_held_until_provisioning(new_customer, cast, login):
    client = login(cast.reseller_admin)
    response = client.post(url("wizard_admin", new_customer.pk), admin_data())
    assert response.status_code == 302
    assert response.url == url("wizard_services", new_customer.pk)
    user = User.objects.get(username="wilee")
    assert user.upn == "wile.e@acme.example"
    assert user.is_admin
    assert user.display_name == "Wile E. Coyote"
    assert user.check_password(GOOD_PASSWORD)
    assert user.role_grants.get().role.name == "Customer Admin"
    held = Job.objects.get(user=user)
    assert held.kind == "create_user" and held.run_after.year == 9999  # waits for provisioning
    assert decrypt_secret(held.secret) == GOOD_PASSWORD


def test_a_provisioning_customers_admin_gets_a_job_with_the_password_encrypted(
    new_customer, cast, login
):
    set_status(new_customer, Status.PROVISIONING)
    client = login(cast.reseller_admin)
    client.post(url("wizard_admin", new_customer.pk), admin_data())
    user = User.objects.get(username="wilee")
    job = Job.objects.get(user=user)
    assert job.kind == "create_user"
    assert GOOD_PASSWORD not in job.secret
    assert GOOD_PASSWORD not in str(job.payload)
    assert decrypt_secret(job.secret) == GOOD_PASSWORD
    assert GOOD_PASSWORD not in user.password


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password2": "Sunny-Day-43"}, "password2", "do not match"),
        ({"password": "Sh0rt!", "password2": "Sh0rt!"}, "password", "at least 8 characters"),
        ({"password": "alllowercase1", "password2": "alllowercase1"}, "password", "three of"),
        ({"password": "Xwilee-2024!", "password2": "Xwilee-2024!"}, "password", "username"),
        ({"password": "Coyote-2024!", "password2": "Coyote-2024!"}, "password", "display name"),
        ({"upn_local": ""}, "upn_local", "required"),
        ({"upn_local": "has space"}, "upn_local", "no spaces"),
        ({"upn_domain": "foreign.example"}, "upn_domain", "valid choice"),
        ({"username": "has space"}, "username", "letters, digits"),
        ({"username": "x" * 21}, "username", "at most 20 characters"),
        ({"username": "CADMIN"}, "username", "is not available"),
        ({"email": "nope"}, "email", "valid email"),
        ({"first_name": ""}, "first_name", "required"),
    ],
)
def test_each_administrator_field_says_what_is_wrong(
    new_customer, cast, login, overrides, field, message
):
    client = login(cast.reseller_admin)
    response = client.post(url("wizard_admin", new_customer.pk), admin_data(**overrides))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message.lower() in errors.lower(), response.context["form"].errors
    assert not new_customer.users.exists()


def test_a_taken_upn_is_refused(new_customer, cast, login):
    User.objects.filter(pk=cast.end_user.pk).update(upn="wile.e@acme.example")
    client = login(cast.reseller_admin)
    response = client.post(url("wizard_admin", new_customer.pk), admin_data())
    assert "is not available" in " ".join(response.context["form"].errors["upn_local"])


def test_the_policy_is_the_customers_own(new_customer, cast, login):
    Organisation.objects.filter(pk=new_customer.pk).update(
        password_min_length=16, password_complexity=False
    )
    client = login(cast.reseller_admin)
    response = client.post(url("wizard_admin", new_customer.pk), admin_data())
    assert "at least 16 characters" in " ".join(response.context["form"].errors["password"])
    response = client.post(
        url("wizard_admin", new_customer.pk),
        admin_data(password="a" * 16, password2="a" * 16),
    )
    assert response.status_code == 302


def test_create_local_admin_names_the_admin_after_the_customer(new_customer, cast, login):
    client = login(cast.reseller_admin)
    data = {
        "create_local_admin": "on",
        "upn_domain": "acme.example",
        "password": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        "create": "1",
    }
    response = client.post(url("wizard_admin", new_customer.pk), data)
    assert response.status_code == 302, response.context["form"].errors
    admin = new_customer.users.get()
    assert admin.username == "Acme_Widgets_CoAdmin"[:20] or admin.username.startswith(
        "Acme_Widgets"
    )
    assert " " not in admin.username and "_" in admin.username
    assert admin.email == f"{admin.username}@acme.example"
    assert admin.upn == f"{admin.username}@acme.example".lower()
    assert admin.is_admin


def test_a_cloned_admin_role_is_shown_as_the_default_admin_role_and_given(
    new_customer, cast, login
):
    client = login(cast.reseller_admin)
    source = Role.objects.get(name="Customer Admin")
    preview = client.post(
        url("wizard_admin", new_customer.pk), {"cloned_admin_role": source.pk, "preview": "1"}
    )
    assert 'value="Acme Widgets Co Customer Admin"' in preview.content.decode()
    assert not new_customer.users.exists()
    response = client.post(
        url("wizard_admin", new_customer.pk), admin_data(cloned_admin_role=source.pk)
    )
    assert response.status_code == 302
    admin = User.objects.get(username="wilee")
    role = admin.role_grants.get().role
    assert role.name == "Acme Widgets Co Customer Admin"
    assert role.organisation == new_customer
    assert role.cloned_from == source
    assert role in new_customer.allowed_roles.all()


def test_a_reseller_admin_cannot_clone_the_provider_admin_role(new_customer, cast, login):
    client = login(cast.reseller_admin)
    role = Role.objects.get(name="Provider Admin")
    response = client.post(
        url("wizard_admin", new_customer.pk), admin_data(cloned_admin_role=role.pk)
    )
    assert "valid choice" in " ".join(response.context["form"].errors["cloned_admin_role"])


def test_skip_goes_on_to_services_and_services_can_be_skipped(new_customer, cast, login):
    cast.reseller.services.all().delete()  # it holds nothing to pass on
    client = login(cast.reseller_admin)
    response = client.post(url("wizard_admin", new_customer.pk), {"skip": "1"})
    assert response.url == url("wizard_services", new_customer.pk)
    page = client.get(response.url).content.decode()
    assert "No services are offered to this customer yet" in page
    assert "Reseller One holds none to pass on" in page
    assert "catalogue/customers/" not in page
    assert url("wizard_summary", new_customer.pk) in page


def test_the_services_step_shows_the_resellers_services_and_comes_back_to_the_summary(
    new_customer, cast, login
):
    subscribe(cast.reseller)
    client = login(cast.reseller_admin)
    page = client.get(url("wizard_services", new_customer.pk)).content.decode()
    assert "VPN" in page and "Standard" in page
    summary = url("wizard_summary", new_customer.pk)
    services = reverse("catalogue:customer_services", args=[new_customer.pk])
    link = f"{services}?{urlencode({'next': summary})}"
    assert escape(link) in page
    assert summary in page  # Skip
    continued = client.get(link).content.decode()
    assert f'href="{summary}">Continue' in continued


def test_the_services_step_offers_the_providers_active_catalogue_to_a_direct_customer(cast, login):
    vpn_plan()
    Service.objects.create(code="OLD", name="Retired service", is_active=False)
    direct = OrganisationFactory(name="Direct Co", code="DIRCO", parent=cast.provider)
    page = login(cast.provider_admin).get(url("wizard_services", direct.pk)).content.decode()
    assert "VPN" in page and "Retired service" not in page
    assert reverse("catalogue:customer_services", args=[direct.pk]) in page


def test_the_summary_shows_what_was_created(new_customer, cast, login):
    set_status(new_customer, Status.PROVISIONING)
    client = login(cast.reseller_admin)
    client.post(url("wizard_admin", new_customer.pk), admin_data())
    page = client.get(url("wizard_summary", new_customer.pk)).content.decode()
    for text in ("Acme Widgets Co", "ACMEW", "acme.example", "wile.e@acme.example", "Create user"):
        assert text in page


def test_a_reseller_admin_cannot_reach_a_sibling_resellers_customer_in_the_wizard(cast, login):
    client = login(cast.reseller_admin)
    for name in ("wizard_admin", "wizard_services", "wizard_summary"):
        assert client.get(url(name, cast.customer2.pk)).status_code == 404
    assert client.post(url("wizard_admin", cast.customer2.pk), admin_data()).status_code == 404


def test_the_administrator_step_respects_the_customers_user_limit(new_customer, cast, login):
    from tests.factories import UserFactory

    UserFactory(username="already", organisation=new_customer)
    Organisation.objects.filter(pk=new_customer.pk).update(user_limit=1)
    response = login(cast.reseller_admin).post(url("wizard_admin", new_customer.pk), admin_data())
    assert response.status_code == 200
    assert "reached its user limit (1 / 1)" in response.content.decode()
    assert not User.objects.filter(username="wilee").exists()
