"""Generated codes are always free, however alike the names and however many arrive at once."""

import pytest
from django.core.exceptions import ValidationError

from core.actors import SYSTEM
from customers.actions.organisations import create_organisation
from customers.models import Organisation
from tests.cast import build_cast
from tests.customers.helpers import url
from tests.fixtures.racing import race


@pytest.mark.django_db
def test_three_customers_whose_names_share_twelve_letters_are_all_quick_created(cast, login):
    client = login(cast.reseller_admin)
    for number in range(1, 4):
        response = client.post(
            url("quick_create"),
            {
                "parent": cast.reseller.pk,
                "name": f"Wolverhampton Holdings {number}",
                "email": f"it{number}@wolves.example",
                "domain_name": f"wolves{number}.example",
                "save": "1",
            },
        )
        assert response.status_code == 302, response.content.decode()
    codes = list(
        Organisation.objects.filter(name__startswith="Wolverhampton")
        .order_by("pk")
        .values_list("code", flat=True)
    )
    assert codes == ["WOLVERHAMPTO", "WOLVERHAMPT2", "WOLVERHAMPT3"]


@pytest.mark.django_db
def test_a_typed_code_that_is_taken_is_refused_on_the_code_field(cast):
    with pytest.raises(ValidationError) as refused:
        create_organisation(actor=SYSTEM, parent=cast.reseller, name="Other", code="CONE")
    assert "code" in refused.value.message_dict


@pytest.mark.django_db(transaction=True)
def test_ten_parallel_creations_with_the_same_name_all_get_distinct_codes():
    cast = build_cast()
    results = race(
        [
            lambda: create_organisation(
                actor=SYSTEM, parent=cast.reseller, name="Parallel Industries Worldwide"
            )
        ]
        * 10
    )
    assert len(results) == 10
    assert [r for r in results if isinstance(r, Exception)] == []  # any failure is the finding
    assert len({organisation.code for organisation in results}) == 10
    assert Organisation.objects.filter(name="Parallel Industries Worldwide").count() == 10
