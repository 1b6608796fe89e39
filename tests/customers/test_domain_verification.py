"""Proof of domain ownership: a customer cannot claim a name it does not hold.

The DNS answers come from a real server (dnsmasq on a loopback port, ``dns`` fixture).
"""

import pytest
from django.core.exceptions import ValidationError

from core.actors import SYSTEM
from customers.actions.domains import add_alias
from customers.actions.lifecycle import provision_organisation
from customers.actions.users import create_user, edit_user
from customers.actions.verification import verify_by_hand
from customers.models import Domain, Status
from customers.models.domain import VerificationMethod
from customers.tasks import check_pending_domains
from tests.customers.helpers import in_directory, set_status, url
from tests.factories import PASSWORD, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def forest(settings):
    settings.DIRECTORY_BASE_DN = "DC=canopy,DC=test"
    return "canopy.test"


def claim(organisation, name):
    return add_alias(actor=SYSTEM, organisation=organisation, name=name)


# --- The job that reads DNS ------------------------------------------------------------------


def test_a_domain_with_its_txt_record_is_verified_by_the_job(cast, dns):
    domain = claim(cast.customer, dns.name())
    dns.publish(domain.name, domain.txt_record)

    counts = check_pending_domains()

    domain.refresh_from_db()
    assert domain.is_verified
    assert domain.verification_method == VerificationMethod.DNS
    assert domain.verified_by is None
    assert counts["verified"] >= 1
    assert domain.history.latest().verified_at is not None


def test_a_txt_record_with_another_token_leaves_the_domain_unverified_and_says_so(cast, dns):
    domain = claim(cast.customer, dns.name())
    dns.publish(domain.name, "canopy-verification=someone-elses-token")

    check_pending_domains()

    domain.refresh_from_db()
    assert not domain.is_verified
    assert "not this domain's token" in domain.last_check_result
    assert domain.txt_record in domain.last_check_result


def test_a_missing_txt_record_leaves_the_domain_unverified_and_says_so(cast, dns):
    domain = claim(cast.customer, dns.name())
    dns.publish(domain.name, "v=spf1 -all")  # a TXT record, but not ours

    check_pending_domains()

    domain.refresh_from_db()
    assert not domain.is_verified
    assert domain.last_check_result == (
        f"No TXT record {domain.txt_record} was found at {domain.name}."
    )


def test_a_customer_admin_checks_now_and_sees_the_domain_verified(cast, dns, login):
    domain = claim(cast.customer, dns.name())
    client = login(cast.customer_admin)
    page = client.get(url("domains", cast.customer.pk)).content.decode()
    assert domain.txt_record in page  # the instructions show the record to publish
    assert "Check now" in page

    dns.publish(domain.name, domain.txt_record)
    response = client.post(url("domain_check", cast.customer.pk, domain.pk), follow=True)

    domain.refresh_from_db()
    assert domain.is_verified
    assert f"{domain.name} is verified." in response.content.decode()


def test_check_now_without_the_record_says_what_is_missing(cast, dns, login):
    domain = claim(cast.customer, dns.name())
    client = login(cast.customer_admin)

    response = client.post(url("domain_check", cast.customer.pk, domain.pk), follow=True)

    domain.refresh_from_db()
    assert not domain.is_verified
    assert f"No TXT record {domain.txt_record} was found" in response.content.decode()


def test_each_domain_has_its_own_token(cast):
    one, two = claim(cast.customer, "one-token.example"), claim(cast.customer, "two.example")
    assert one.verification_token != two.verification_token
    assert len(one.verification_token) >= 32


# --- Names that are refused ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["canopy.test", "mail.canopy.test", "CANOPY.TEST."])
def test_the_forests_own_name_and_its_subdomains_are_refused_on_the_domain_field(
    cast, login, forest, name
):
    client = login(cast.customer_admin)

    response = client.post(url("domains", cast.customer.pk), {"name": name})

    assert response.status_code == 200
    assert "directory's own domain" in " ".join(response.context["form"].errors["name"])
    assert not Domain.objects.filter(name__endswith="canopy.test").exists()


def test_the_forests_name_is_refused_by_the_action_too(cast, forest):
    with pytest.raises(ValidationError) as refused:
        claim(cast.customer, "canopy.test")
    assert "own domain" in str(refused.value)


def test_a_subdomain_of_another_tenants_domain_is_refused_on_the_domain_field(cast, login):
    theirs = cast.customer2.primary_domain.name
    client = login(cast.customer_admin)

    response = client.post(url("domains", cast.customer.pk), {"name": f"mail.{theirs}"})

    assert response.status_code == 200
    assert "another customer" in " ".join(response.context["form"].errors["name"])
    assert not Domain.objects.filter(name=f"mail.{theirs}").exists()


def test_a_parent_of_another_tenants_domain_is_refused(cast):
    other = OrganisationFactory(parent=cast.reseller2, domains=["shop.parent-claim.example"])
    with pytest.raises(ValidationError):
        claim(cast.customer, "parent-claim.example")
    assert other.domains.count() == 1


def test_a_customer_may_add_a_subdomain_of_its_own_domain(cast):
    own = cast.customer.primary_domain.name
    assert claim(cast.customer, f"mail.{own}").name == f"mail.{own}"


def test_the_quick_create_form_refuses_a_subdomain_of_another_tenants_domain(cast, login):
    theirs = cast.customer2.primary_domain.name
    client = login(cast.reseller_admin)

    response = client.post(
        "/customers/new/quick/",
        {
            "parent": cast.reseller.pk,
            "name": "Squatter Ltd",
            "email": "it@squatter.example",
            "domain_name": f"www.{theirs}",
        },
    )

    assert response.status_code == 200
    assert "another customer" in " ".join(response.context["form"].errors["domain_name"])


def test_a_well_known_public_domain_is_no_special_case_it_stays_unverified(cast):
    domain = claim(cast.customer, "microsoft.com")
    assert not domain.is_verified


# --- Verification by hand ---------------------------------------------------------------------


def test_a_provider_admin_verifies_by_hand_and_history_records_who_and_when(cast, login):
    domain = claim(cast.customer, "by-hand.example")
    client = login(cast.provider_admin)
    assert "Verify by hand" in client.get(url("domains", cast.customer.pk)).content.decode()

    response = client.post(url("domain_verify", cast.customer.pk, domain.pk))

    assert response.status_code == 302
    domain.refresh_from_db()
    assert domain.is_verified
    assert domain.verification_method == VerificationMethod.MANUAL
    assert domain.verified_by == cast.provider_admin
    record = domain.history.latest()
    assert record.history_user == cast.provider_admin
    assert record.verified_at == domain.verified_at
    assert record.verification_method == VerificationMethod.MANUAL


def test_a_customer_admin_cannot_verify_by_hand(cast, login):
    domain = claim(cast.customer, "not-by-me.example")
    client = login(cast.customer_admin)
    assert "Verify by hand" not in client.get(url("domains", cast.customer.pk)).content.decode()

    response = client.post(url("domain_verify", cast.customer.pk, domain.pk))

    assert response.status_code == 403
    domain.refresh_from_db()
    assert not domain.is_verified


def test_a_sibling_reseller_gets_404_on_the_verify_url(cast, login):
    domain = claim(cast.customer, "sibling.example")

    response = login(cast.reseller2_admin).post(url("domain_verify", cast.customer.pk, domain.pk))

    assert response.status_code == 404
    domain.refresh_from_db()
    assert not domain.is_verified


# --- What an unverified domain may not do -----------------------------------------------------


def test_a_draft_may_give_users_an_unverified_domain_but_cannot_be_provisioned_with_it(cast):
    in_directory(cast.reseller)
    draft = OrganisationFactory(parent=cast.reseller, verified=False)
    domain = draft.primary_domain
    create_user(
        actor=SYSTEM,
        organisation=draft,
        username="drafty",
        upn=f"drafty@{domain.name}",
        password=PASSWORD,
    )

    with pytest.raises(ValidationError) as refused:
        provision_organisation(actor=SYSTEM, organisation=draft)

    assert domain.name in str(refused.value)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_users_of_a_provisioned_customer_must_be_on_a_verified_domain(cast):
    set_status(cast.customer, Status.ACTIVE, provisioned=True)
    unverified = claim(cast.customer, "later.example")

    with pytest.raises(ValidationError) as refused:
        create_user(
            actor=SYSTEM,
            organisation=cast.customer,
            username="early",
            upn="early@later.example",
            password=PASSWORD,
        )
    assert "upn" in refused.value.error_dict

    person = UserFactory(organisation=cast.customer)
    with pytest.raises(ValidationError):
        edit_user(actor=SYSTEM, person=person, changes={"upn": "moved@later.example"})

    verify_by_hand(actor=SYSTEM, domain=unverified)
    edit_user(actor=SYSTEM, person=person, changes={"upn": "moved@later.example"})
    person.refresh_from_db()
    assert person.upn == "moved@later.example"


def test_the_user_form_of_a_provisioned_customer_offers_only_verified_domains(cast, login):
    set_status(cast.customer, Status.ACTIVE, provisioned=True)
    claim(cast.customer, "offered-later.example")

    page = login(cast.customer_admin).get(f"/users/organisations/{cast.customer.pk}/new/")

    choices = [value for value, _label in page.context["form"].fields["domain"].choices]
    assert choices == [cast.customer.primary_domain.name]
