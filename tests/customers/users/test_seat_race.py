"""Service seats hold under load: the last seats go to exactly as many requests as there are."""

import pytest
from django.core.exceptions import ValidationError

from core.actors import SYSTEM
from customers.actions.assignments import give_service
from customers.models import UserService
from tests.cast import build_cast
from tests.factories import UserFactory
from tests.fixtures.catalogue import subscribe
from tests.fixtures.racing import race, refused, succeeded


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_requests_for_the_last_five_seats_give_exactly_five():
    cast = build_cast()
    subscription = subscribe(cast.customer, user_limit=5)
    people = [UserFactory(organisation=cast.customer) for _ in range(20)]
    results = race(
        [
            lambda p=p: give_service(actor=SYSTEM, subscription=subscription, users=[p])
            for p in people
        ]
    )
    assert succeeded(results) == 5
    assert refused(results, ValidationError) == 15
    assert UserService.objects.filter(subscription=subscription).count() == 5
