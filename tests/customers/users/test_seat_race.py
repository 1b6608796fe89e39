"""Service seats hold under load: the last seats go to exactly as many requests as there are."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core.actors import SYSTEM
from customers.actions.assignments import give_service
from customers.models import UserService
from tests.cast import build_cast
from tests.factories import UserFactory
from tests.fixtures.catalogue import subscribe


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_requests_for_the_last_five_seats_give_exactly_five():
    cast = build_cast()
    subscription = subscribe(cast.customer, user_limit=5)
    people = [UserFactory(organisation=cast.customer) for _ in range(20)]
    barrier = threading.Barrier(20)
    outcomes: list[str] = []

    def request(person) -> None:
        try:
            barrier.wait()
            give_service(actor=SYSTEM, subscription=subscription, users=[person])
            outcomes.append("given")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=request, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("given") == 5
    assert UserService.objects.filter(subscription=subscription).count() == 5
