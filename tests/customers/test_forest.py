"""One django-mptt tree per top-level organisation (issue 15): writes renumber one tree.

The provider's tree holds the provider alone; each organisation directly below it roots a
tree of its own, in the provider's forest of tree ids (``core.scoping.FOREST_SPAN``).
Everything the scoping API and the pages read (descendants, ancestors, children, subtree
ranges) still follows the business ``parent``.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.actors import SYSTEM
from core.scoping import FOREST_SPAN, SubtreeRange, effective_codenames, forest_of
from customers.actions.organisations import create_organisation, move_organisation
from customers.models import Organisation
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def tree_rows(tree_id: int) -> list[tuple]:
    return list(
        Organisation.objects.filter(tree_id=tree_id)
        .order_by("pk")
        .values_list("pk", "lft", "rght", "level", "tree_parent_id")
    )


def assert_consistent() -> None:
    """Every tree is a valid nested set whose tree parents follow the business parents."""
    for organisation in Organisation.objects.select_related("parent", "tree_parent"):
        parent = organisation.parent
        if parent is None:
            assert organisation.tree_id % FOREST_SPAN == 0
            assert (organisation.lft, organisation.rght, organisation.level) == (1, 2, 0)
        elif parent.parent_id is None:
            assert organisation.tree_parent_id is None
            assert forest_of(organisation.tree_id) == parent.tree_id != organisation.tree_id
            assert (organisation.lft, organisation.level) == (1, 0)
        else:
            assert organisation.tree_parent_id == parent.pk
            assert organisation.tree_id == parent.tree_id
            assert parent.lft < organisation.lft < organisation.rght < parent.rght
            assert organisation.level == parent.level + 1
    before = list(
        Organisation.objects.order_by("pk").values_list("pk", "tree_id", "lft", "rght", "level")
    )
    Organisation.objects.rebuild()
    after = list(
        Organisation.objects.order_by("pk").values_list("pk", "tree_id", "lft", "rght", "level")
    )
    assert after == before


def test_each_organisation_below_the_provider_roots_a_tree_of_its_own(cast):
    assert cast.provider.tree_id % FOREST_SPAN == 0
    assert cast.reseller.tree_id == cast.provider.tree_id + 1
    assert cast.reseller2.tree_id == cast.provider.tree_id + 2
    assert cast.customer.tree_id == cast.subreseller.tree_id == cast.reseller.tree_id
    assert_consistent()


def test_the_provider_still_holds_everything_below_it(cast):
    below = set(cast.provider.get_descendants())
    assert below == set(Organisation.objects.exclude(pk=cast.provider.pk))
    assert cast.provider.get_descendant_count() == len(below)
    assert set(cast.provider.get_children()) == {cast.reseller, cast.reseller2}
    assert cast.provider.holds(cast.deep_customer)
    assert not cast.reseller2.holds(cast.deep_customer)
    assert SubtreeRange(cast.provider.tree_id, 1, 2).contains(
        cast.deep_customer.tree_id, cast.deep_customer.lft
    )
    assert [o.code for o in cast.deep_customer.get_ancestors()] == ["PROV", "RONE", "RSUB"]
    assert [o.code for o in cast.deep_customer.get_ancestors(ascending=True)] == [
        "RSUB",
        "RONE",
        "PROV",
    ]
    # A grant on the provider holds in every tree of its forest.
    assert "add_customer" in effective_codenames(cast.provider_admin, cast.deep_customer)
    assert "add_customer" not in effective_codenames(cast.reseller2_admin, cast.deep_customer)


def test_a_write_below_one_reseller_leaves_the_other_trees_alone(cast):
    others = {tree: tree_rows(tree) for tree in (cast.provider.tree_id, cast.reseller2.tree_id)}
    with CaptureQueriesContext(connection) as queries:
        create_organisation(actor=SYSTEM, parent=cast.subreseller, name="New Below Sub")
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith("UPDATE")]
    assert updates and all(f"= {cast.reseller.tree_id}" in sql for sql in updates), updates
    assert {tree: tree_rows(tree) for tree in others} == others
    assert_consistent()


def test_a_new_top_level_organisation_gets_the_next_tree_of_the_forest(cast):
    reseller3 = create_organisation(
        actor=SYSTEM, parent=cast.provider, name="Reseller Three", is_reseller=True
    )
    assert reseller3.tree_id == cast.provider.tree_id + 3
    assert reseller3.tree_parent_id is None
    second = OrganisationFactory(name="Second Provider", code="PROV2")
    assert second.tree_id == cast.provider.tree_id + FOREST_SPAN
    below_second = OrganisationFactory(name="Theirs", parent=second)
    assert below_second.tree_id == second.tree_id + 1
    assert not cast.provider.holds(below_second)
    assert_consistent()


def test_moves_between_trees_to_the_top_and_back(cast):
    # A nested customer to the other reseller's tree.
    move_organisation(actor=SYSTEM, organisation=cast.deep_customer, new_parent=cast.reseller2)
    cast.refresh()
    assert cast.deep_customer.tree_id == cast.reseller2.tree_id
    assert_consistent()
    # A sub-reseller (with a customer) directly below the provider: a tree of its own.
    OrganisationFactory(name="Below Sub", parent=cast.subreseller)
    move_organisation(actor=SYSTEM, organisation=cast.subreseller, new_parent=cast.provider)
    cast.refresh()
    assert cast.subreseller.tree_parent_id is None
    assert forest_of(cast.subreseller.tree_id) == cast.provider.tree_id
    assert cast.subreseller.get_descendant_count() == 1
    assert_consistent()
    # A whole top-level tree below another reseller.
    move_organisation(actor=SYSTEM, organisation=cast.reseller2, new_parent=cast.reseller)
    cast.refresh()
    assert cast.reseller2.tree_id == cast.customer2.tree_id == cast.reseller.tree_id
    assert cast.reseller.holds(cast.customer2)
    assert_consistent()


def test_the_provider_cannot_be_put_below_anyone(cast):
    provider = Organisation.objects.get(pk=cast.provider.pk)
    provider.parent = cast.reseller
    with pytest.raises(ValueError, match="provider"):
        provider.save()


def test_create_move_and_purge_issue_a_fixed_number_of_queries(cast, django_assert_num_queries):
    """The writes bench/writes.py times (issue 15), pinned: create, move and the retention
    purge's hard delete. Each locks its trees' roots and renumbers only those trees."""
    from customers.actions.lifecycle import purge_organisation

    with django_assert_num_queries(CREATE_QUERIES):
        created = create_organisation(actor=SYSTEM, parent=cast.subreseller, name="Pinned New")
    with django_assert_num_queries(MOVE_QUERIES):
        move_organisation(actor=SYSTEM, organisation=created, new_parent=cast.reseller2)
    with django_assert_num_queries(PURGE_QUERIES):
        purge_organisation(Organisation.objects.get(pk=created.pk))
    assert not Organisation.objects.filter(pk=created.pk).exists()
    assert_consistent()


def test_a_purge_writes_the_same_deletion_history_as_a_delete_in_one_insert_per_table(cast):
    """purge_organisation collects the "-" rows of everything the delete cascades to and
    inserts them per history table at the end: the rows are those a plain delete writes."""
    from customers.actions.lifecycle import purge_organisation
    from customers.models import Domain, User
    from tests.factories import UserFactory

    def gone(created):
        users = [UserFactory(organisation=created) for _ in range(3)]
        domain = Domain.objects.create(organisation=created, name=f"{created.code}.example")
        return [(Organisation, created.pk), (Domain, domain.pk)] + [(User, u.pk) for u in users]

    def deletion_rows(objects):
        return sorted(
            (model.__name__, model.history.filter(id=pk, history_type="-").count())
            for model, pk in objects
        )

    plain = gone(create_organisation(actor=SYSTEM, parent=cast.reseller, name="Plain Gone"))
    Organisation.objects.get(pk=plain[0][1]).delete()
    purged = gone(create_organisation(actor=SYSTEM, parent=cast.reseller, name="Purged Gone"))
    with CaptureQueriesContext(connection) as queries:
        purge_organisation(Organisation.objects.get(pk=purged[0][1]))
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT INTO" in q["sql"]]
    assert len([sql for sql in inserts if '"customers_historicaluser"' in sql]) == 1
    assert deletion_rows(purged) == deletion_rows(plain)
    assert deletion_rows(purged) == [("Domain", 1), ("Organisation", 1)] + [("User", 1)] * 3
    assert_consistent()


def test_a_purge_locks_its_own_tree_only(cast):
    """Like create and move, the purge takes its tree's root lock before mptt closes the gap;
    no other tree's root is locked, so writes there do not wait."""
    from customers.actions.lifecycle import purge_organisation

    created = create_organisation(actor=SYSTEM, parent=cast.subreseller, name="Locked Gone")
    with CaptureQueriesContext(connection) as queries:
        purge_organisation(Organisation.objects.get(pk=created.pk))
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locks) == 1 and f"IN ({cast.reseller.tree_id})" in locks[0], locks
    assert_consistent()


CREATE_QUERIES = 19
MOVE_QUERIES = 13
PURGE_QUERIES = 51
