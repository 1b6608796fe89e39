"""E-mail aliases: a user's further addresses, on their customer's verified domains, each
one person's; a domain people receive mail at is not removed from under them."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.actors import SYSTEM
from core.jobs import JobKind
from core.models import Job
from customers.actions.domains import add_alias, remove_alias
from customers.actions.users import edit_user
from customers.actions.verification import verify_by_hand
from customers.models import Organisation, Status
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def active_cast(cast):
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.ACTIVE)
    cast.refresh()
    return cast


def second_domain(organisation, name="mail.customer-one.example", verified=True):
    domain = add_alias(actor=SYSTEM, organisation=organisation, name=name)
    if verified:
        verify_by_hand(actor=SYSTEM, domain=domain)
    return domain


def edit_form(person, **overrides):
    local, _, domain = person.upn.partition("@")
    return {
        "upn_local": local,
        "domain": domain,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "display_name": person.display_name,
        "email": person.email,
        **overrides,
    }


def test_an_admin_gives_a_user_aliases_on_the_edit_page_and_the_user_page_lists_them(
    active_cast, login
):
    cast = active_cast
    person = cast.end_user
    second_domain(cast.customer)
    primary = cast.customer.primary_domain.name
    client = login(cast.customer_admin)

    response = client.post(
        reverse("users:edit", args=[person.pk]),
        edit_form(person, email_aliases=f"Sales@{primary}\njd@mail.customer-one.example"),
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.email_aliases == [f"sales@{primary}", "jd@mail.customer-one.example"]
    assert Job.objects.filter(kind=JobKind.UPDATE_USER, user=person).exists()
    assert person.history.first().email_aliases == person.email_aliases  # in the history
    page = client.get(reverse("users:detail", args=[person.pk])).content.decode()
    assert "jd@mail.customer-one.example" in page
    edit_page = client.get(reverse("users:edit", args=[person.pk])).content.decode()
    assert 'for="id_email_aliases">E-mail aliases</label>' in edit_page


def test_an_alias_on_a_domain_not_verified_or_not_the_customers_is_refused_on_the_field(
    active_cast, login
):
    cast = active_cast
    person = cast.end_user
    second_domain(cast.customer, "later.customer-one.example", verified=False)
    elsewhere = cast.customer2.primary_domain.name

    response = login(cast.customer_admin).post(
        reverse("users:edit", args=[person.pk]),
        edit_form(person, email_aliases=f"a@later.customer-one.example b@{elsewhere}"),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors["email_aliases"]
    assert any("later.customer-one.example" in error for error in errors)
    assert any(elsewhere in error for error in errors)
    person.refresh_from_db()
    assert person.email_aliases == []


def test_an_address_belongs_to_one_person(active_cast):
    cast = active_cast
    primary = cast.customer.primary_domain.name
    other = UserFactory(organisation=cast.customer, upn=f"other@{primary}")
    edit_user(actor=SYSTEM, person=other, changes={"email_aliases": [f"shared@{primary}"]})

    for taken in (f"other@{primary}", f"shared@{primary}"):
        with pytest.raises(ValidationError) as refused:
            edit_user(actor=SYSTEM, person=cast.end_user, changes={"email_aliases": [taken]})
        assert "email_aliases" in refused.value.error_dict
    # Nor does anyone take someone's alias as their UPN.
    with pytest.raises(ValidationError) as refused:
        edit_user(actor=SYSTEM, person=cast.end_user, changes={"upn": f"shared@{primary}"})
    assert "upn" in refused.value.error_dict


def test_the_upn_is_never_its_own_alias_and_an_alias_made_the_upn_leaves_the_list(active_cast):
    cast = active_cast
    person = cast.end_user
    primary = cast.customer.primary_domain.name

    edit_user(
        actor=SYSTEM,
        person=person,
        changes={"email_aliases": [person.upn, f"alt@{primary}", f"ALT@{primary}"]},
    )
    person.refresh_from_db()
    assert person.email_aliases == [f"alt@{primary}"]

    edit_user(actor=SYSTEM, person=person, changes={"upn": f"alt@{primary}"})
    person.refresh_from_db()
    assert person.upn == f"alt@{primary}" and person.email_aliases == []


def test_a_domain_people_receive_mail_at_is_not_removed_until_their_aliases_are(active_cast):
    cast = active_cast
    domain = second_domain(cast.customer)
    edit_user(
        actor=SYSTEM,
        person=cast.end_user,
        changes={"email_aliases": [f"jd@{domain.name}"]},
    )

    with pytest.raises(ValidationError) as refused:
        remove_alias(actor=SYSTEM, domain=domain)
    assert cast.end_user.username in str(refused.value)

    edit_user(actor=SYSTEM, person=cast.end_user, changes={"email_aliases": []})
    remove_alias(actor=SYSTEM, domain=domain)
    assert not cast.customer.domains.filter(name=domain.name).exists()
