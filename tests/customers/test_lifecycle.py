"""The lifecycle table: suspend before deprovision, deprovision before delete."""

import pytest
from django.core.exceptions import ValidationError

from customers.actions.lifecycle import _move as move
from customers.models import Status

pytestmark = pytest.mark.django_db


def test_an_active_customer_cannot_be_deleted(cast):
    cast.customer.status = Status.ACTIVE
    with pytest.raises(ValidationError, match="Deprovision the customer before deleting it"):
        move(cast.customer, Status.DELETED)


def test_an_active_customer_must_be_suspended_before_deprovisioning(cast):
    cast.customer.status = Status.ACTIVE
    with pytest.raises(ValidationError, match="Suspend the customer before deprovisioning"):
        move(cast.customer, Status.DEPROVISIONING)


def test_the_whole_lifecycle_in_order(cast):
    org = cast.customer
    for target in [
        Status.PROVISIONING,
        Status.ACTIVE,
        Status.SUSPENDED,
        Status.ACTIVE,
        Status.SUSPENDED,
        Status.DEPROVISIONING,
        Status.DEPROVISIONED,
        Status.DELETED,
        Status.DEPROVISIONED,
    ]:
        move(org, target)
        assert org.status == target


def test_a_failed_provisioning_can_be_retried(cast):
    cast.customer.status = Status.FAILED
    move(cast.customer, Status.PROVISIONING)
    assert cast.customer.status == Status.PROVISIONING
