"""On a tree of 20,000 organisations, what the scoping API and the searches ask stays indexed.

A sequential scan over all organisations is invisible in a test with seven of them and costs
most of a page at 100,000. So the tree here is large: planned in memory with the seed's
nested-set numbering (``customers.management.scale.plan_tree``), written with one
INSERT ... SELECT per table (a few seconds, where saving models would take minutes), then
ANALYZEd so the planner sees its real size. Each query is captured as the portal sends it
and EXPLAINed.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.scoping import FOREST_SPAN, within
from customers.actions.codes import generate_code
from customers.filters import OrganisationFilter
from customers.management.scale import PlannedNode, plan_tree
from customers.models import Domain, Organisation, User
from customers.views.list import list_rows
from customers.views.picker import PURPOSES, search_choices
from tests.factories import UserFactory, grant

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's"),
]

SIZE = 20_000
VARYING = [
    "id",
    "code",
    "name",
    "is_reseller",
    "parent_id",
    "tree_parent_id",
    "tree_id",
    "lft",
    "rght",
    "level",
]


def _walk(root: PlannedNode) -> list[tuple[PlannedNode, PlannedNode | None]]:
    nodes, stack = [], [(root, None)]
    while stack:
        node, parent = stack.pop()
        nodes.append((node, parent))
        stack.extend((child, node) for child in node.children)
    return nodes


def insert_tree(prefix: str, size: int, *, people: bool = False) -> Organisation:
    """``size`` organisations in a forest of their own (the seed's layout: the provider alone
    in its tree, one tree per organisation directly below it); with ``people``, a domain and
    a user per customer."""
    planned = _walk(plan_tree(prefix, size))
    root_plan = planned[0][0]
    # The root goes through the ORM, so every column has its model default; the rest of the
    # tree copies those columns from it and brings its own names and nested-set numbers.
    root = Organisation(code=root_plan.code, name=root_plan.name, is_reseller=True)
    tree_id = Organisation.objects.next_tree_id(None)
    root.tree_id, root.lft, root.rght, root.level = tree_id, 1, 2, 0
    Organisation.objects.bulk_create([root])
    ids = {id(root_plan): root.pk}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('customers_organisation', 'id'), "
            "(SELECT max(id) FROM customers_organisation) + %s)",
            [size],
        )
        (last,) = cursor.fetchone()
        for offset, (node, _) in enumerate(planned[1:], start=1):
            ids[id(node)] = last - size + offset
        rows = [
            (
                ids[id(node)],
                node.code,
                node.name,
                node.is_reseller,
                ids[id(parent)],
                None if parent is root_plan else ids[id(parent)],
                tree_id + node.tree,
                node.lft,
                node.rght,
                node.tree_level,
            )
            # In tree order: the tree indexes then grow at one end, which is far cheaper.
            for node, parent in sorted(planned[1:], key=lambda pair: (pair[0].tree, pair[0].lft))
        ]
        copied = [
            field.column
            for field in Organisation._meta.concrete_fields
            if field.column not in VARYING
        ]
        types = ["bigint", "text", "text", "boolean", "bigint", "bigint"] + ["integer"] * 4
        cursor.execute(
            f"""
            INSERT INTO customers_organisation ({", ".join([*VARYING, *copied])})
            SELECT {", ".join(f"u.{c}" for c in VARYING)},
                   {", ".join(f"root.{c}" for c in copied)}
            FROM customers_organisation root,
                 unnest({", ".join(f"%s::{t}[]" for t in types)}) AS u({", ".join(VARYING)})
            WHERE root.id = %s
            """,
            [list(column) for column in zip(*rows, strict=True)] + [root.pk],
        )
        if people:
            cursor.execute(
                """
                INSERT INTO customers_domain (
                    organisation_id, name, is_primary, created,
                    verification_token, verification_method, last_check_result
                )
                SELECT id, lower(code) || '.plans.example', true, now(),
                    md5(random()::text), '', ''
                FROM customers_organisation
                WHERE tree_id >= %s AND tree_id < %s AND NOT is_reseller
                """,
                [tree_id, tree_id + FOREST_SPAN],
            )
            cursor.execute(
                """
                INSERT INTO customers_user (
                    password, is_superuser, username, first_name, last_name, email, is_staff,
                    is_active, date_joined, upn, display_name, is_admin, must_change_password,
                    organisation_id, language, email_opt_outs, is_service_account)
                SELECT '!', false, lower(code), 'Plan', code, '', false, true, now(),
                       lower(code) || '@' || lower(code) || '.plans.example', 'Plan ' || code,
                       false, false, id, '', '[]'::jsonb, false
                FROM customers_organisation
                WHERE tree_id >= %s AND tree_id < %s AND NOT is_reseller
                """,
                [tree_id, tree_id + FOREST_SPAN],
            )
        for table in ("customers_organisation", "customers_domain", "customers_user"):
            # A bulk load leaves every new entry of a GIN index in its pending list, which
            # each search reads in full (and the planner prices accordingly); in service,
            # autovacuum merges it. Merge it here too, then give the planner real statistics.
            cursor.execute(
                "SELECT gin_clean_pending_list(indexrelid) FROM pg_index JOIN pg_class index "
                "ON index.oid = indexrelid JOIN pg_am am ON am.oid = index.relam "
                "WHERE indrelid = %s::regclass AND am.amname = 'gin'",
                [table],
            )
            cursor.execute(f"ANALYZE {table}")
    return root


@pytest.fixture
def big_tree(db):
    return insert_tree("QP", SIZE)


@pytest.fixture
def big_tree_with_people(db):
    return insert_tree("QP", SIZE, people=True)


def spread_customers(provider: Organisation) -> dict[float, Organisation]:
    """Customers early, in the middle and late in the provider's forest (a btree on lft
    alone would read half a tree for the middle one)."""
    customers = Organisation.objects.filter(within(provider), is_reseller=False).order_by(
        "tree_id", "lft"
    )
    count = customers.count()
    return {f: customers[int(count * f)] for f in (0.05, 0.25, 0.5, 0.75, 0.95)}


def captured(run) -> list[str]:
    """The SQL the portal sends while ``run()`` executes."""
    with CaptureQueriesContext(connection) as queries:
        run()
    return [query["sql"] for query in queries.captured_queries]


def plan_nodes(sql: str, *, analyze: bool = False) -> list[dict]:
    """Every node of the query's plan; with ``analyze``, as executed (with actual rows)."""
    options = "ANALYZE, FORMAT JSON" if analyze else "FORMAT JSON"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({options}) {sql}")
        (document,) = cursor.fetchone()
    if isinstance(document, str):
        document = json.loads(document)
    nodes, stack = [], [document[0]["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    return nodes


def scans_of(sql: str, table: str) -> list[str]:
    """How the plan reads ``table``: node types such as 'Index Scan' or 'Seq Scan'."""
    return [node["Node Type"] for node in plan_nodes(sql) if node.get("Relation Name") == table]


def index_names(sql: str) -> set[str]:
    return {node["Index Name"] for node in plan_nodes(sql) if "Index Name" in node}


def admins(*specs: tuple[str, Organisation, str]) -> list[User]:
    """Users ``(username, organisation, role)`` granted their role, with fresh statistics on
    the grants so the planner sees them as the scoping API will read them."""
    people = []
    for username, organisation, role in specs:
        person = UserFactory(organisation=organisation, username=username)
        grant(person, organisation, role)
        people.append(person)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_organisationuserobjectpermission")
    return people


def test_no_query_of_the_scoping_api_scans_every_organisation(big_tree):
    reseller = Organisation.objects.get(code="QPR200")  # one in the middle of the tree
    (admin,) = admins(("qpadmin", reseller, "Reseller Admin"))

    def first_page():
        fresh = User.objects.get(pk=admin.pk)  # a new request: no scope cached yet
        list(Organisation.objects.restrict(fresh, "view").order_by("name")[:25])

    _, ranges, subtree = captured(first_page)
    assert "organisationuserobjectpermission" in ranges
    assert "lft" in subtree

    # Ancestors (the breadcrumb, branding, the directory's OU path) of customers early, in
    # the middle and late in the tree: a btree on lft alone would read half the tree for
    # the middle one.
    customers = spread_customers(big_tree)
    ancestor_queries = []
    for fraction, customer in customers.items():
        ancestor_queries += captured(lambda c=customer: list(c.get_ancestors()))
        ancestor_queries += captured(
            lambda c=customer: list(c.get_ancestors(ascending=True, include_self=True))
        )

    queries = {"ranges": ranges, "subtree": subtree} | {
        f"ancestors {n}": sql for n, sql in enumerate(ancestor_queries)
    }
    scans = {name: scans_of(sql, "customers_organisation") for name, sql in queries.items()}
    assert all(scans.values()), scans  # every query reads the table ...
    assert {name: s for name, s in scans.items() if "Seq Scan" in s} == {}  # ... by an index


def test_search_terms_are_looked_up_in_trigram_indexes(big_tree_with_people):
    """icontains compiles to UPPER(column) LIKE UPPER(term): the indexes are over UPPER()."""
    lookups = {
        "organisation_name_trgm": Organisation.objects.filter(name__icontains="customer 1234"),
        "organisation_code_trgm": Organisation.objects.filter(code__icontains="pc1234"),
        "organisation_email_trgm": Organisation.objects.filter(email__icontains="billing@"),
        "domain_name_trgm": Domain.objects.filter(name__icontains="qpc1234.plans"),
        "user_username_trgm": User.objects.filter(username__icontains="qpc1234"),
        "user_upn_trgm": User.objects.filter(upn__icontains="qpc1234@"),
        "user_display_name_trgm": User.objects.filter(display_name__icontains="plan qpc1234"),
    }
    used = {}
    for index, queryset in lookups.items():
        (sql,) = captured(lambda q=queryset: list(q))
        used[index] = index in index_names(sql)
    assert used == dict.fromkeys(lookups, True)


def organisation_rows_read(sql: str) -> int:
    """Rows of customers_organisation the executed plan looked at (kept or filtered out)."""
    return sum(
        node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
        for node in plan_nodes(sql, analyze=True)
        if node.get("Relation Name") == "customers_organisation"
    )


def test_ancestors_read_only_the_ancestors(big_tree):
    customers = spread_customers(big_tree)
    read = {}
    for fraction, customer in customers.items():
        (sql,) = captured(lambda c=customer: list(c.get_ancestors()))
        read[fraction] = organisation_rows_read(sql)
    assert max(read.values()) <= 100, read


def test_the_organisation_picker_reads_by_index(big_tree):
    """The switcher's and the Parent Reseller filter's search (issue 16): the matches come
    through an index (trigram or name order), their paths from the ancestors alone."""
    reseller = Organisation.objects.get(code="QPR200")
    people = admins(
        ("qppicker", reseller, "Reseller Admin"), ("qpprovider", big_tree, "Provider Admin")
    )
    problems = {}
    for person in people:
        for purpose in PURPOSES:
            for term in ("", "customer 1234", "qpc12", "QPR2"):
                request = SimpleNamespace(
                    user=User.objects.get(pk=person.pk), acting_organisation=None
                )
                queries = captured(lambda r=request, p=purpose, t=term: search_choices(r, p, t))
                key = f"{person.username} {purpose} {term!r}"
                for sql in queries:
                    if "WITH RECURSIVE" in sql:  # the matches' ancestors
                        if (read := organisation_rows_read(sql)) > 200:
                            problems[key] = f"ancestors read {read} rows"
                    elif "Seq Scan" in scans_of(sql, "customers_organisation"):
                        problems[key] = "the matches scan every organisation"
    assert problems == {}


def test_the_customers_search_reads_the_matches_not_the_whole_scope(big_tree_with_people):
    """Issue 15: a search by name, code, e-mail, domain or contact e-mail, as the provider
    (all 20,000) and as a reseller, reads about the matching rows, not every organisation
    in scope (an OR over EXISTS subqueries cannot use the trigram indexes)."""
    reseller = Organisation.objects.get(code="QPR200")
    people = admins(
        ("qpsearchr", reseller, "Reseller Admin"),
        ("qpsearchp", big_tree_with_people, "Provider Admin"),
    )
    read = {}
    for person in people:
        user = User.objects.get(pk=person.pk)
        scope = Organisation.objects.restrict(user, "view")
        for term in ("customer 1234", "qpc1234", "qpc1234.plans"):
            filterset = OrganisationFilter({"q": term}, queryset=scope, scope=scope)
            (sql,) = [
                s
                for s in captured(lambda f=filterset: list(f.qs.order_by("name")[:25]))
                if "customers_organisation" in s and "LIMIT" in s
            ]
            read[f"{person.username} {term!r}"] = organisation_rows_read(sql)
    assert max(read.values()) <= 500, read


def test_the_providers_first_page_reads_the_page_not_the_tree(big_tree_with_people):
    """Issue 15: the list's page of 25, sorted by name or code, as the provider of 20,000
    organisations, reads about the rows it shows: no parent join, no primary-domain
    subquery over every row before the sort."""
    (provider,) = admins(("qplistp", big_tree_with_people, "Provider Admin"))
    user = User.objects.get(pk=provider.pk)
    scope = Organisation.objects.restrict(user, "view")
    read = {}
    for order in ("name", "code", "-name"):
        filterset = OrganisationFilter({}, queryset=scope, scope=scope)
        queryset = list_rows(filterset).order_by(order)
        pages = [
            sql
            for sql in captured(lambda q=queryset: list(q[:25]))
            if "customers_organisation" in sql and "LIMIT" in sql
        ]
        read[order] = max(organisation_rows_read(sql) for sql in pages)
    assert max(read.values()) <= 200, read


def test_a_generated_code_is_looked_up_by_the_upper_code_btree(big_tree):
    """Which codes are taken: an equality on UPPER(code), which the trigram index would also
    serve, at about 9 ms a candidate (450 ms for a batch of 50 at 1,000 organisations)."""
    (sql,) = captured(lambda: generate_code("QP Customer 1234"))
    assert index_names(sql) == {"organisation_code_upper"}
