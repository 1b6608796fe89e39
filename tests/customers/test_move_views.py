"""The Move page: choose the new reseller with the picker, errors on that field."""

import pytest
from django.urls import reverse

from customers.models import Organisation

pytestmark = pytest.mark.django_db


def move(client, organisation, new_parent_pk):
    url = reverse("customers:move", args=[organisation.pk])
    return client.post(url, {"new_parent": new_parent_pk})


def test_a_reseller_admin_moves_a_customer_to_its_sub_reseller(cast, login):
    client = login(cast.reseller_admin)
    page = client.get(reverse("customers:detail", args=[cast.customer.pk])).content.decode()
    assert reverse("customers:move", args=[cast.customer.pk]) in page

    response = move(client, cast.customer, cast.subreseller.pk)

    assert response.status_code == 302
    assert Organisation.objects.get(pk=cast.customer.pk).parent_id == cast.subreseller.pk


def test_the_picker_offers_only_resellers_one_may_put_customers_in(cast, login):
    url = reverse("customers:move_choices")
    offered = login(cast.reseller_admin).get(url, {"q": "e"}).content.decode()
    assert "Sub Reseller" in offered and "Reseller One" in offered
    assert "Reseller Two" not in offered and "Customer One" not in offered


def test_a_reseller_not_offered_is_refused_on_the_field_and_nothing_moves(cast, login):
    """A forged id (Reseller Two, outside Reseller One's scope) is not a choice."""
    response = move(login(cast.reseller_admin), cast.customer, cast.reseller2.pk)
    assert response.status_code == 200
    assert response.context["form"].errors["new_parent"] == ["Choose one of the resellers offered."]
    assert Organisation.objects.get(pk=cast.customer.pk).parent_id == cast.reseller.pk


def test_a_refusal_of_the_move_itself_sits_on_the_new_reseller_field(cast, login):
    Organisation.objects.filter(pk=cast.customer.pk).update(user_limit=50)
    Organisation.objects.filter(pk=cast.subreseller.pk).update(user_limit=5)
    response = move(login(cast.reseller_admin), cast.customer, cast.subreseller.pk)
    assert response.status_code == 200
    assert "users are left to give" in " ".join(response.context["form"].errors["new_parent"])
    assert 'data-field-error="new_parent"' in response.content.decode()


def test_a_customer_admin_cannot_move_their_own_customer(cast, login):
    response = move(login(cast.customer_admin), cast.customer, cast.subreseller.pk)
    assert response.status_code == 403
