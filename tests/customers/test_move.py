"""Moving a customer between resellers: who may, where to, and what must still fit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import Job
from customers.actions.organisations import move_organisation
from customers.models import Organisation, Status

pytestmark = pytest.mark.django_db


def test_a_reseller_admin_moves_a_customer_to_its_sub_reseller_and_the_tree_follows(cast):
    moved = move_organisation(
        actor=cast.reseller_admin, organisation=cast.customer, new_parent=cast.subreseller
    )
    assert moved is None  # a draft: nothing in the directory to move
    cast.refresh()
    assert cast.customer.parent == cast.subreseller
    assert cast.subreseller.lft < cast.customer.lft < cast.subreseller.rght
    assert cast.customer in cast.subreseller.get_descendants()
    assert cast.customer.history.first().history_change_reason == (
        "Moved from Reseller One to Sub Reseller"
    )


def test_a_reseller_admin_cannot_move_its_customer_to_a_reseller_it_does_not_manage(cast):
    with pytest.raises(PermissionDenied):
        move_organisation(
            actor=cast.reseller_admin, organisation=cast.customer, new_parent=cast.reseller2
        )
    with pytest.raises(PermissionDenied):
        move_organisation(
            actor=cast.reseller2_admin, organisation=cast.customer, new_parent=cast.reseller2
        )
    assert Organisation.objects.get(pk=cast.customer.pk).parent == cast.reseller


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("customer2", "not a reseller"),
        ("subreseller", "below itself"),
        ("reseller", "already below"),
    ],
)
def test_a_move_that_makes_no_sense_is_refused_on_the_new_parent_field(cast, target, problem):
    organisation = cast.reseller if target == "subreseller" else cast.customer
    with pytest.raises(ValidationError) as refused:
        move_organisation(
            actor=cast.provider_admin, organisation=organisation, new_parent=getattr(cast, target)
        )
    assert problem in " ".join(refused.value.message_dict["new_parent"])


def test_the_new_resellers_user_pool_must_hold_the_customer(cast):
    Organisation.objects.filter(pk=cast.customer.pk).update(user_limit=50)
    Organisation.objects.filter(pk=cast.reseller2.pk).update(user_limit=10)
    cast.refresh()
    with pytest.raises(ValidationError) as refused:
        move_organisation(
            actor=cast.provider_admin, organisation=cast.customer, new_parent=cast.reseller2
        )
    assert "users are left to give" in " ".join(refused.value.message_dict["new_parent"])
    assert Organisation.objects.get(pk=cast.customer.pk).parent == cast.reseller


def test_a_customer_in_the_directory_waits_for_its_new_reseller_to_be_there_too(cast):
    Organisation.objects.filter(pk=cast.customer.pk).update(
        status=Status.ACTIVE, provisioned_at="2026-01-01T00:00Z"
    )
    cast.refresh()
    with pytest.raises(ValidationError) as refused:
        move_organisation(
            actor=cast.provider_admin, organisation=cast.customer, new_parent=cast.reseller2
        )
    assert "provision Reseller Two first" in " ".join(refused.value.message_dict["new_parent"])

    Organisation.objects.filter(pk=cast.reseller2.pk).update(
        status=Status.ACTIVE, provisioned_at="2026-01-01T00:00Z"
    )
    cast.refresh()
    job = move_organisation(
        actor=cast.provider_admin, organisation=cast.customer, new_parent=cast.reseller2
    )
    assert Job.objects.get(pk=job.pk).organisation == cast.customer
