"""Create: quick create, the detailed form, Save vs Save/Provision, and every validation rule."""

import pytest
from django.core.exceptions import ValidationError

from core.models import Job
from customers.models import Domain, Organisation, Role, Status
from tests.customers.helpers import detailed_form_data, in_directory, url

pytestmark = pytest.mark.django_db

SPECIAL_NAMES = [
    "Smith, Jones & Partners",
    'The "Quoted" Company',
    "Plus+Minus Ltd",
    "<script>alert(1)</script> Corp",
    "Semi;colon Inc",
    "#Hash Leading",
    "Société Générale",
    "株式会社テスト",
    "Ωmega Σystems",
]


def test_quick_create_generates_the_code_and_gives_the_default_roles(cast, login):
    client = login(cast.reseller_admin)
    response = client.post(
        url("quick_create"),
        {
            "parent": cast.reseller.pk,
            "name": "Initech",
            "email": "bill@initech.example",
            "domain_name": "Initech.Example",
            "save": "1",
        },
    )
    org = Organisation.objects.get(name="Initech")
    assert response.status_code == 302
    assert response.url == url("wizard_admin", org.pk)
    assert org.code == "INITECH"
    assert org.parent == cast.reseller
    assert org.status == Status.DRAFT
    assert org.created_by == cast.reseller_admin
    assert [d.name for d in org.domains.all()] == ["initech.example"]
    assert set(org.allowed_roles.values_list("name", flat=True)) == {
        "Customer Admin",
        "Help Desk",
        "User",
    }
    assert set(org.restricted_roles.values_list("name", flat=True)) == {
        "Provider Admin",
        "Reseller Admin",
    }
    assert not Job.objects.filter(organisation=org).exists()


def test_save_provision_records_a_provisioning_job_instead_of_faking_success(cast, login):
    in_directory(cast.reseller)
    client = login(cast.reseller_admin)
    client.post(
        url("quick_create"),
        {
            "parent": cast.reseller.pk,
            "name": "Initech",
            "email": "bill@initech.example",
            "domain_name": "initech.example",
            "save_provision": "1",
        },
    )
    org = Organisation.objects.get(name="Initech")
    assert org.status == Status.PROVISIONING
    job = Job.objects.get(organisation=org)
    assert job.kind == "provision_organisation"
    assert job.state == "queued"
    assert job.started_by == cast.reseller_admin


def test_the_detailed_form_stores_every_field(cast, login):
    client = login(cast.provider_admin)
    data = detailed_form_data(cast.reseller, passwords_never_expire="on")
    response = client.post(url("create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    org = Organisation.objects.get(name="Globex Corporation")
    assert org.code == "GLOBEXCORPOR"
    assert org.contact_name == "Hank Scorpio"
    assert org.email == "hank@globex.example"
    assert org.phone == "+1 555 0100"
    assert (org.address, org.city, org.state, org.zip_code, org.country) == (
        "1 Cypress Creek",
        "Cypress Creek",
        "OR",
        "97000",
        "United States",
    )
    assert org.description == "Volcano lair"
    assert org.extended_name == "Globex Corporation (Cypress Creek)"
    assert (org.external_id, org.account_id) == ("EXT-1", "ACC-9")
    assert org.deal_ids == ["D1", "D2", "D3"]
    assert org.inactive_billing and not org.public_sector
    assert sorted(t.name for t in org.tags.all()) == ["emea", "gold"]
    assert org.primary_domain.name == "globex.example"
    assert sorted(d.name for d in org.domains.filter(is_primary=False)) == [
        "globex-corp.example",
        "globex.test",
    ]
    assert org.password_min_length == 10
    assert org.password_history == 5
    assert org.password_max_age_days is None  # "Passwords never expire" wins
    assert (org.lockout_threshold, org.lockout_duration_minutes, org.user_limit) == (5, 15, 50)


def test_an_edited_code_is_kept(cast, login):
    client = login(cast.provider_admin)
    client.post(url("create"), detailed_form_data(cast.reseller, code="GLX1"))
    assert Organisation.objects.get(name="Globex Corporation").code == "GLX1"


def test_update_adds_an_alias_and_remove_drops_one_without_saving(cast, login):
    client = login(cast.reseller_admin)
    data = detailed_form_data(cast.reseller, domain_aliases=["a.example", "b.example", "c.example"])
    data.pop("save")
    response = client.post(url("create"), {**data, "alias_remove": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="a.example"' in page and 'value="c.example"' in page
    assert 'value="b.example"' not in page
    assert "invalid-feedback" not in page  # a re-render, not a failed save
    response = client.post(url("create"), {**data, "alias_update": "1"})
    assert 'value="b.example"' in response.content.decode()
    assert not Organisation.objects.filter(name="Globex Corporation").exists()


def test_branding_is_inherited_unless_set(cast, login):
    cast.reseller.brand_name = "Reseller Brand"
    cast.reseller.save()
    client = login(cast.reseller_admin)
    page = client.get(url("create")).content.decode()
    assert "Empty: inherited (Reseller Brand)." in page
    client.post(url("create"), detailed_form_data(cast.reseller))
    org = Organisation.objects.get(name="Globex Corporation")
    assert org.brand_name == ""
    assert org.effective_branding()["brand_name"] == "Reseller Brand"


def test_role_choices_are_only_roles_the_creator_may_grant(cast, login):
    client = login(cast.reseller_admin)
    page = client.get(url("create")).content.decode()
    assert "Customer Admin" in page
    assert "Provider Admin" not in page
    provider_admin = Role.objects.get(name="Provider Admin")
    response = client.post(
        url("create"), detailed_form_data(cast.reseller, allowed_roles=[provider_admin.pk])
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Organisation.objects.filter(name="Globex Corporation").exists()


def test_a_reseller_admin_cannot_create_below_a_sibling_reseller(cast, login):
    client = login(cast.reseller_admin)
    page = client.get(url("create")).content.decode()
    assert "Reseller Two" not in page
    response = client.post(url("create"), detailed_form_data(cast.reseller2))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Organisation.objects.filter(name="Globex Corporation").exists()


@pytest.mark.parametrize("who", ["customer_admin", "help_desk", "end_user"])
def test_only_provider_and_reseller_admins_may_create(cast, login, who):
    client = login(getattr(cast, who))
    assert client.get(url("create")).status_code == 403
    assert client.post(url("create"), detailed_form_data(cast.customer)).status_code == 403
    assert client.get(url("quick_create")).status_code == 403


def errors_for(response, field):
    form = response.context["form"]
    return form.errors.get(field, [])


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "x" * 201}, "name", "at most 200 characters"),
        ({"code": "RONE"}, "code", "is not available"),
        ({"code": "rone"}, "code", "is not available"),
        ({"code": "AB-C"}, "code", "letters and digits only"),
        ({"code": "A" * 21}, "code", "at most 20 characters"),
        ({"email": "not-an-email"}, "email", "valid email address"),
        ({"domain_name": "bad_domain"}, "domain_name", "Enter a domain name"),
        ({"domain_name": "org1.example"}, "domain_name", "is not available"),
        ({"domain_aliases": ["ok.example", "no spaces.example"]}, "domain_aliases", "no spaces"),
        ({"domain_aliases": ["dup.example", "dup.example"]}, "domain_aliases", "Listed twice"),
        ({"domain_aliases": ["globex.example"]}, "domain_aliases", "already the Domain Name"),
        ({"domain_name": "", "domain_aliases": ["a.example"]}, "domain_name", "before adding"),
        ({"phone": "1" * 41}, "phone", "at most 40 characters"),
        ({"zip_code": "9" * 21}, "zip_code", "at most 20 characters"),
        ({"description": "d" * 1001}, "description", "at most 1000 characters"),
        ({"deal_ids_text": "x" * 101}, "deal_ids_text", "at most 100 characters"),
        ({"brand_colour": "red"}, "brand_colour", "such as #1f6feb"),
        ({"password_min_length": 0}, "password_min_length", "greater than or equal to 1"),
        ({"password_max_age_days": ""}, "password_max_age_days", "never expire"),
        ({"user_limit": -1}, "user_limit", "greater than or equal to 0"),
    ],
)
def test_each_field_says_what_is_wrong_next_to_it(cast, login, overrides, field, message):
    # org1.example etc. belong to the cast (the factory's domains).
    taken = cast.provider.domains.first().name
    if overrides.get("domain_name") == "org1.example":
        overrides = {"domain_name": taken}
    client = login(cast.provider_admin)
    before = Organisation.objects.count()
    response = client.post(url("create"), detailed_form_data(cast.reseller, **overrides))
    assert response.status_code == 200
    errors = " ".join(errors_for(response, field))
    assert message.lower() in errors.lower(), (field, errors, response.context["form"].errors)
    assert f'id="id_{field}_error"' in response.content.decode() or field == "domain_aliases"
    assert Organisation.objects.count() == before


def test_a_domain_taken_by_a_foreign_customer_is_refused_on_quick_create(cast, login):
    taken = cast.customer2.domains.first().name
    client = login(cast.reseller_admin)
    response = client.post(
        url("quick_create"),
        {"parent": cast.reseller.pk, "name": "X", "email": "x@x.example", "domain_name": taken},
    )
    assert "is not available" in " ".join(errors_for(response, "domain_name"))


@pytest.mark.parametrize("name", SPECIAL_NAMES)
def test_names_with_special_characters_are_stored_and_shown_exactly(cast, login, name):
    client = login(cast.reseller_admin)
    response = client.post(
        url("quick_create"),
        {
            "parent": cast.reseller.pk,
            "name": name,
            "email": "a@b.example",
            "domain_name": "n.example",
        },
    )
    assert response.status_code == 302
    org = Organisation.objects.get(domains__name="n.example")
    assert org.name == name
    page = client.get(url("detail", org.pk)).content.decode()
    from django.utils.html import escape

    assert escape(name) in page
    if "<" in name:
        assert name not in page  # never unescaped
    listing = client.get(url("list"), {"q": name[:6]}).content.decode()
    assert escape(name) in listing


def test_a_failure_after_the_customer_is_saved_leaves_no_record(cast, login, monkeypatch):
    import customers.actions.customers as workflow

    def broken(**kwargs):
        raise ValidationError("The provisioning request failed.")

    monkeypatch.setattr(workflow, "provision_organisation", broken)
    client = login(cast.reseller_admin)
    response = client.post(url("create"), detailed_form_data(cast.reseller, save_provision="1"))
    assert response.status_code == 200
    assert "The provisioning request failed." in response.content.decode()
    assert not Organisation.objects.filter(name="Globex Corporation").exists()
    assert not Domain.objects.filter(name="globex.example").exists()


def test_create_similar_copies_settings_not_identity(cast, login):
    source = cast.customer
    source.password_min_length = 14
    source.customer_type = "demo"
    source.user_limit = 7
    source.contact_name = "Identity Person"
    source.save()
    client = login(cast.reseller_admin)
    response = client.get(url("create_similar", source.pk))
    form = response.context["form"]
    assert form.initial["password_min_length"] == 14
    assert form.initial["customer_type"] == "demo"
    assert form.initial["user_limit"] == 7
    assert form.initial["parent"] == cast.reseller.pk
    assert "name" not in form.initial and "contact_name" not in form.initial
    assert "code" not in form.initial
    assert response.context["form"]["name"].value() in (None, "")
