"""The scoping API: what each member of the cast may see, and what it costs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.scoping import forget_scope, has_permission
from customers.models import Organisation, User
from tests.factories import OrganisationFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


def codes(queryset):
    return set(queryset.values_list("code", flat=True))


def test_a_reseller_admin_sees_its_reseller_and_everything_below_it(cast):
    visible = Organisation.objects.restrict(cast.reseller_admin, "view")
    assert codes(visible) == {"RONE", "RSUB", "CONE", "CDEEP"}


def test_a_reseller_admin_sees_nothing_of_a_sibling_reseller(cast):
    visible = Organisation.objects.restrict(cast.reseller2_admin, "view")
    assert codes(visible) == {"RTWO", "CTWO"}


def test_a_customer_admin_sees_only_its_customer(cast):
    assert codes(Organisation.objects.restrict(cast.customer_admin, "view")) == {"CONE"}


def test_an_end_user_sees_no_organisation_and_no_user(cast):
    assert not Organisation.objects.restrict(cast.end_user, "view").exists()
    assert not User.objects.restrict(cast.end_user, "view").exists()


def test_users_are_scoped_through_their_organisation(cast):
    visible = set(
        User.objects.restrict(cast.reseller_admin, "view").values_list("username", flat=True)
    )
    assert visible == {"radmin", "sradmin", "cadmin", "helpdesk", "enduser"}
    assert "c2admin" not in visible


def test_help_desk_may_view_but_not_change_users(cast):
    assert User.objects.restrict(cast.help_desk, "view").filter(pk=cast.end_user.pk).exists()
    assert not User.objects.restrict(cast.help_desk, "change").exists()


def test_anonymous_and_disabled_users_see_nothing(cast, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert not Organisation.objects.restrict(AnonymousUser(), "view").exists()
    cast.reseller_admin.is_active = False
    assert not Organisation.objects.restrict(cast.reseller_admin, "view").exists()


def test_superusers_see_everything(cast):
    cast.end_user.is_superuser = True
    assert Organisation.objects.restrict(cast.end_user, "view").count() == 7


def test_a_user_with_two_grants_sees_the_union(cast):
    grant(cast.customer2_admin, cast.customer2, "Customer Admin")
    other = UserFactory(username="twohats", organisation=cast.provider, role="User")
    grant(other, cast.customer, "Help Desk")
    grant(other, cast.customer2, "Help Desk")
    assert codes(Organisation.objects.restrict(other, "view")) == {"CONE", "CTWO"}


@pytest.mark.parametrize("size", [10, 200])
def test_resolving_visible_organisations_costs_at_most_two_queries(cast, size):
    parent = cast.reseller
    for n in range(size):
        parent = OrganisationFactory(
            name=f"Nested {n}", parent=parent if n % 3 else cast.reseller, domains=[]
        )
    user = User.objects.get(pk=cast.reseller_admin.pk)
    with CaptureQueriesContext(connection) as queries:
        visible = list(Organisation.objects.restrict(user, "view"))
    assert len(visible) == 4 + size
    assert len(queries) == 2
    # Cached for the rest of the request: asking again costs only the list query itself.
    with CaptureQueriesContext(connection) as queries:
        list(User.objects.restrict(user, "view"))
        has_permission(user, "view_users", cast.customer)
    assert len(queries) == 1


def test_a_new_grant_takes_effect_within_the_same_request(cast):
    person = UserFactory(username="newhire", organisation=cast.provider, role="User")
    assert not has_permission(person, "view_organisation", cast.customer)  # now cached
    grant(person, cast.reseller, "Help Desk")
    assert has_permission(person, "view_organisation", cast.customer)
    forget_scope(person)
    assert has_permission(person, "view_organisation", cast.deep_customer)


def test_a_save_that_moves_an_object_out_of_the_writers_reach_rolls_back(cast):
    from django.core.exceptions import PermissionDenied
    from django.db import transaction

    from core.scoping import ensure_still_visible

    customer = Organisation.objects.get(pk=cast.customer.pk)
    with pytest.raises(PermissionDenied), transaction.atomic():
        customer.move_to(Organisation.objects.get(pk=cast.reseller2.pk))
        ensure_still_visible(cast.reseller_admin, Organisation.objects.get(pk=customer.pk))
    customer.refresh_from_db()
    assert customer.parent_id == cast.reseller.pk
