"""Roles flow down the tree; revokes are exact; nobody grants what they do not hold."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError

from core.actors import SYSTEM
from core.scoping import forget_scope, has_permission
from customers.actions.roles import clone_admin_role, grant_role, grantable_roles, revoke_role
from customers.models import Organisation, OrganisationUserObjectPermission, Role, RoleGrant
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


def test_the_built_in_roles_arrive_by_migration():
    names = set(Role.objects.filter(is_builtin=True).values_list("name", flat=True))
    assert names == {"Provider Admin", "Reseller Admin", "Customer Admin", "Help Desk", "User"}


def test_a_grant_on_a_reseller_covers_its_sub_resellers_and_customers_and_nothing_beside(cast):
    person = UserFactory(username="ops", organisation=cast.provider, role="User")
    grant(person, cast.reseller, "Help Desk")
    for org in (cast.reseller, cast.subreseller, cast.customer, cast.deep_customer):
        assert has_permission(person, "view_organisation", org)
    for org in (cast.provider, cast.reseller2, cast.customer2):
        assert not has_permission(person, "view_organisation", org)


def test_revoking_removes_exactly_what_the_grant_gave(cast):
    person = UserFactory(username="ops", organisation=cast.provider, role="User")
    help_desk = grant(person, cast.reseller, "Help Desk")
    grant(person, cast.reseller, "Customer Admin")
    revoke_role(actor=SYSTEM, grant=help_desk)
    forget_scope(person)
    # Customer Admin also gives view_organisation and reset_passwords: they stay.
    assert has_permission(person, "view_organisation", cast.customer)
    assert has_permission(person, "reset_passwords", cast.customer)
    admin_grant = RoleGrant.objects.get(user=person, role__name="Customer Admin")
    revoke_role(actor=SYSTEM, grant=admin_grant)
    forget_scope(person)
    assert not OrganisationUserObjectPermission.objects.filter(user=person).exists()
    assert not has_permission(person, "view_organisation", cast.customer)


def test_a_customer_admin_cannot_grant_reseller_admin(cast):
    with pytest.raises(PermissionDenied):
        grant_role(
            actor=cast.customer_admin,
            user=cast.end_user,
            organisation=cast.customer,
            role=Role.objects.get(name="Reseller Admin"),
        )
    assert not has_permission(cast.end_user, "add_customer", cast.customer)


def test_help_desk_cannot_grant_any_role(cast):
    with pytest.raises(PermissionDenied):
        grant_role(
            actor=cast.help_desk,
            user=cast.end_user,
            organisation=cast.customer,
            role=Role.objects.get(name="Help Desk"),
        )


def test_a_reseller_admin_cannot_grant_on_a_sibling_reseller(cast):
    with pytest.raises(PermissionDenied):
        grant_role(
            actor=cast.reseller_admin,
            user=cast.customer2_admin,
            organisation=cast.customer2,
            role=Role.objects.get(name="Help Desk"),
        )


def test_grantable_roles_exclude_roles_the_customer_does_not_allow(cast):
    names = {r.name for r in grantable_roles(cast.customer_admin, cast.customer)}
    assert names == {"Customer Admin", "Help Desk", "User"}
    cast.customer.restricted_roles.add(Role.objects.get(name="Help Desk"))
    assert "Help Desk" not in {r.name for r in grantable_roles(cast.customer_admin, cast.customer)}


def test_a_customer_admin_grants_help_desk_within_its_customer(cast):
    grant_role(
        actor=cast.customer_admin,
        user=cast.end_user,
        organisation=cast.customer,
        role=Role.objects.get(name="Help Desk"),
    )
    forget_scope(cast.end_user)
    assert has_permission(cast.end_user, "reset_passwords", cast.customer)


def test_roles_go_only_to_people_of_the_organisation_or_above(cast):
    with pytest.raises(ValidationError):
        grant(cast.customer2_admin, cast.customer, "Help Desk")


def test_a_cloned_admin_role_is_prefixed_with_the_customer_name_and_allowed_there(cast):
    source = Role.objects.get(name="Customer Admin")
    clone = clone_admin_role(actor=cast.reseller_admin, source=source, organisation=cast.customer)
    assert clone.name == "Customer One Customer Admin"
    assert clone.codenames() == source.codenames()
    assert clone in Organisation.objects.get(pk=cast.customer.pk).allowed_roles.all()


def test_nobody_clones_a_role_with_more_power_than_they_hold(cast):
    with pytest.raises(PermissionDenied):
        clone_admin_role(
            actor=cast.customer_admin,
            source=Role.objects.get(name="Reseller Admin"),
            organisation=cast.customer,
        )


@pytest.mark.django_db(transaction=True)
def test_the_built_in_roles_survive_a_database_flush():
    from django.core.management import call_command

    call_command("flush", "--noinput", verbosity=0)
    assert Role.objects.get(name="Customer Admin").codenames() >= {"add_users", "view_users"}
    from customers.models import Service

    assert Service.objects.filter(code__in=["RESELLER", "ACCOUNT"]).count() == 2


def test_renaming_a_customer_after_a_stronger_role_does_not_clone_into_that_role(cast):
    """Issue 9, hole 4: "<customer name> <source name>" spelling an existing role."""
    stronger = Role.objects.create(name="Acme Customer Admin", is_admin_role=True)
    stronger.permissions.set(Role.objects.get(name="Provider Admin").permissions.all())
    Organisation.objects.filter(pk=cast.customer.pk).update(name="Acme")
    cast.refresh()
    source = Role.objects.get(name="Customer Admin")
    clone = clone_admin_role(actor=cast.reseller_admin, source=source, organisation=cast.customer)
    assert clone != stronger
    assert clone.organisation == cast.customer and clone.cloned_from == source
    assert clone.codenames() == source.codenames()
    assert clone.name == "Acme Customer Admin (2)"
    assert stronger not in cast.customer.allowed_roles.all()
    # Cloning again finds the same clone, by what it was cloned from, not by its name.
    again = clone_admin_role(actor=cast.reseller_admin, source=source, organisation=cast.customer)
    assert again == clone


def test_a_clone_that_gained_power_is_not_handed_out_by_someone_without_it(cast):
    source = Role.objects.get(name="Customer Admin")
    clone = clone_admin_role(actor=cast.reseller_admin, source=source, organisation=cast.customer)
    clone.permissions.add(Permission.objects.get(codename="manage_catalogue"))
    with pytest.raises(PermissionDenied):
        clone_admin_role(actor=cast.reseller_admin, source=source, organisation=cast.customer)
