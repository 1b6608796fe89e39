"""Find: the scoped Customers list, search, filters, sort, pages, CSV, and the tree; with
query counts that stay flat from 10 to 1,000 customers."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Contact, Domain, Organisation, Service, Status, Tag
from portal.middleware import ACTING_SESSION_KEY
from tests.customers.helpers import url
from tests.factories import OrganisationFactory
from tests.fixtures.catalogue import subscribe

pytestmark = pytest.mark.django_db


def names(response):
    return [row.record.name for row in response.context["table"].paginated_rows]


def test_a_reseller_admin_sees_only_its_subtree(cast, login):
    response = login(cast.reseller_admin).get(url("list"))
    assert set(names(response)) == {"Reseller One", "Sub Reseller", "Customer One", "Deep Customer"}


def test_a_customer_admin_sees_only_its_customer(cast, login):
    assert names(login(cast.customer_admin).get(url("list"))) == ["Customer One"]


def test_the_list_stays_inside_the_acting_organisation(cast, login):
    client = login(cast.provider_admin)
    session = client.session
    session[ACTING_SESSION_KEY] = cast.reseller2.pk
    session.save()
    assert set(names(client.get(url("list")))) == {"Reseller Two", "Customer Two"}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("customer one", {"Customer One"}),
        ("CDEEP", {"Deep Customer"}),
        ("contoso-contact", {"Customer One"}),
        ("shared.example", {"Sub Reseller"}),
        ("billing@globex", {"Deep Customer"}),
    ],
)
def test_search_by_name_code_domain_or_contact_email(cast, login, term, expected):
    Contact.objects.create(organisation=cast.customer, name="C", email="contoso-contact@x.example")
    Domain.objects.create(organisation=cast.subreseller, name="shared.example")
    Organisation.objects.filter(pk=cast.deep_customer.pk).update(email="billing@globex.example")
    response = login(cast.reseller_admin).get(url("list"), {"q": term})
    assert set(names(response)) == expected


def test_filters_combine_and_deleted_customers_show_only_when_asked(cast, login):
    gold = Tag.objects.create(name="gold")
    cast.customer.tags.add(gold)
    cast.deep_customer.tags.add(gold)
    Organisation.objects.filter(pk=cast.deep_customer.pk).update(customer_type="demo")
    Organisation.objects.filter(pk=cast.customer.pk).update(
        status=Status.DELETED, deleted_at=timezone.now()
    )
    client = login(cast.provider_admin)
    assert set(names(client.get(url("list"), {"tag": gold.pk}))) == {"Deep Customer"}
    assert names(client.get(url("list"), {"tag": gold.pk, "customer_type": "standard"})) == []
    assert names(client.get(url("list"), {"status": "deleted"})) == ["Customer One"]
    assert set(names(client.get(url("list"), {"parent": cast.reseller.pk}))) == {"Sub Reseller"}


def test_the_filter_choices_come_from_the_viewers_scope(cast, login):
    cast.customer2.tags.add(Tag.objects.create(name="secret-tag"))
    page = login(cast.reseller_admin).get(url("list")).content.decode()
    assert "secret-tag" not in page
    assert "Reseller Two" not in page


def test_a_foreign_parent_in_the_filter_is_refused_not_leaked(cast, login):
    response = login(cast.reseller_admin).get(url("list"), {"parent": cast.reseller2.pk})
    assert names(response) != ["Customer Two"]
    assert "Customer Two" not in response.content.decode()


def test_sort_by_one_column_either_way_with_the_arrow(cast, login):
    client = login(cast.reseller_admin)
    response = client.get(url("list"), {"sort": "-code"})
    assert names(response) == ["Sub Reseller", "Reseller One", "Customer One", "Deep Customer"]
    page = response.content.decode()
    assert 'aria-sort="descending"' in page and "▼" in page
    page = client.get(url("list"), {"sort": "code"}).content.decode()
    assert 'aria-sort="ascending"' in page and "▲" in page


def test_search_filter_and_sort_survive_pagination(cast, login):
    for n in range(30):
        OrganisationFactory(name=f"Bulk {n:02}", parent=cast.reseller, domains=[f"b{n}.example"])
    client = login(cast.reseller_admin)
    response = client.get(url("list"), {"q": "Bulk", "customer_type": "standard", "sort": "-name"})
    assert names(response)[0] == "Bulk 29"
    assert len(names(response)) == 25
    page = response.content.decode()
    assert "page=2" in page
    assert "q=Bulk" in page and "sort=-name" in page and "customer_type=standard" in page
    second = client.get(
        url("list"), {"q": "Bulk", "customer_type": "standard", "sort": "-name", "page": 2}
    )
    assert names(second) == [f"Bulk {n:02}" for n in range(4, -1, -1)]


def test_htmx_gets_only_the_results(cast, login):
    response = login(cast.reseller_admin).get(url("list"), {"q": "Deep"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert 'id="customer-results"' in page
    assert "<html" not in page


def test_csv_export_is_the_filtered_scoped_list(cast, login):
    Organisation.objects.filter(pk=cast.customer.pk).update(name="=HYPERLINK(evil)")
    response = login(cast.reseller_admin).get(url("export"), {"q": "C", "sort": "code"})
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["Full Name", "Code", "Kind"]
    codes = [row[1] for row in rows[1:]]
    assert "CTWO" not in codes and "RTWO" not in codes
    assert codes == sorted(codes)
    assert "'=HYPERLINK(evil)" in [row[0] for row in rows]


def test_the_tree_shows_resellers_with_counts_and_links(cast, login):
    page = login(cast.reseller_admin).get(url("tree")).content.decode()
    assert "Reseller One" in page and "Sub Reseller" in page
    assert "Reseller Two" not in page
    assert "<details" in page
    assert url("detail", cast.reseller.pk) in page
    response = login(cast.provider_admin).get(url("tree"))
    roots = response.context["roots"]
    assert [n.organisation.code for n in roots] == ["PROV"]
    resellers = {n.organisation.code: n.organisation for n in roots[0].children}
    assert resellers["RONE"].customer_count == 1 and resellers["RONE"].reseller_count == 1


def test_the_tree_shows_one_level_below_the_top_and_opens_the_rest_on_demand(cast, login):
    client = login(cast.provider_admin)
    page = client.get(url("tree")).content.decode()
    assert "Reseller One" in page and "Reseller Two" in page
    assert "Sub Reseller" not in page  # two levels down: loaded when Reseller One opens
    assert url("tree_children", cast.reseller.pk) in page
    branch = client.get(url("tree_children", cast.reseller.pk)).content.decode()
    assert "Sub Reseller" in branch and "Deep Customer" not in branch  # resellers only
    assert (
        login(cast.reseller2_admin).get(url("tree_children", cast.reseller.pk)).status_code == 404
    )


def test_a_branch_shows_a_page_of_resellers_and_the_next_on_demand(cast, login, monkeypatch):
    """A provider with 2,000 resellers must not render them all: each branch shows
    TREE_PAGE of them, and "Show more" loads the next page in their place."""
    monkeypatch.setattr("customers.views.list.TREE_PAGE", 1)
    client = login(cast.provider_admin)
    page = client.get(url("tree")).content.decode()
    assert "Reseller One" in page and "Reseller Two" not in page
    more = re.search(r'hx-get="([^"]+\?after=[^"]+)"', page).group(1).replace("&amp;", "&")
    assert more.startswith(url("tree_children", cast.provider.pk))
    rest = client.get(more).content.decode()
    assert "Reseller Two" in rest and "Reseller One" not in rest
    assert "?after=" not in rest  # the last page
    # A position that is not one is the first page, not an error.
    assert client.get(url("tree_children", cast.provider.pk), {"after": "x"}).status_code == 200


def bulk_customers(parent: Organisation, count: int) -> None:
    """``count`` customers below ``parent`` in two bulk inserts and a tree rebuild."""
    organisations = [
        Organisation(
            parent=parent,
            name=f"Scale {n:04}",
            code=f"SCALE{n:04}",
            lft=0,
            rght=0,
            tree_id=parent.tree_id,
            tree_parent=parent,  # not a second root of the tree; the rebuild places it
            level=parent.level + 1,
        )
        for n in range(count)
    ]
    Organisation.objects.bulk_create(organisations)
    Organisation.objects.rebuild()
    Domain.objects.bulk_create(
        Domain(organisation=org, name=f"scale{n}.example", is_primary=True)
        for n, org in enumerate(Organisation.objects.filter(code__startswith="SCALE"))
    )
    tag = Tag.objects.create(name="scale")
    tag.organisations.add(*Organisation.objects.filter(code__startswith="SCALE"))


def count_queries(client, path, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("count", [10, 1000])
def test_the_list_tree_and_customer_page_keep_their_query_counts(
    cast, login, count, django_assert_num_queries
):
    bulk_customers(cast.reseller, count)
    client = login(cast.reseller_admin)
    client.get(url("list"))  # warm the session
    with django_assert_num_queries(LIST_QUERIES):
        client.get(url("list"), {"q": "Scale", "sort": "-created", "page": 1})
    tag = Tag.objects.get(name="scale").pk
    # A chosen tag is looked up once more, to validate it against the scoped choices.
    with django_assert_num_queries(LIST_QUERIES + 1):
        client.get(url("list"), {"tag": tag, "status": "draft"})
    with django_assert_num_queries(TREE_QUERIES):
        client.get(url("tree"))
    with django_assert_num_queries(DETAIL_QUERIES):
        client.get(url("detail", cast.reseller.pk))


# Session, user, the session's row (an ended session signs out), acting organisation, scope,
# the acting organisation's ancestors (fetched once: the breadcrumb and the branding share
# them), then the page's own: the list's count,
# whether any row is a reseller, rows (with billing's columns as subqueries, registered in
# core.registry) and three filter choice lists (tag, service, billing's Storage Region: Parent
# Reseller is a search-as-you-type picker that lists nothing until asked);
# the tree's tops (with their counts) and the first page of the resellers below each top (with
# theirs: two correlated counts PostgreSQL works out for the shown rows only; one query more
# than when the tree rendered every reseller below the top with one GROUP BY over all of them);
# the customer page's ancestors, jobs, contacts, domains, its people (one count over its
# subtree: it has no limit, so no seats to add up), its services with their seats (one
# annotated query), tags, its latest drift report and its quarantined objects.
LIST_QUERIES = 12
TREE_QUERIES = 8
DETAIL_QUERIES = 17


def test_search_the_service_filter_and_sort_work_together(cast, login):
    vpn = subscribe(cast.customer).service
    subscribe(cast.deep_customer)
    subscribe(cast.subreseller)
    retired = Service.objects.create(code="OLD", name="Retired service", is_active=False)
    client = login(cast.reseller_admin)
    response = client.get(url("list"), {"q": "e", "service": vpn.pk, "sort": "-name"})
    assert names(response) == ["Sub Reseller", "Deep Customer", "Customer One"]
    response = client.get(url("list"), {"q": "Customer", "service": vpn.pk, "sort": "name"})
    assert names(response) == ["Customer One", "Deep Customer"]
    page = response.content.decode()
    assert 'id="id_service_0"' in page and "Retired service" not in page
    assert names(client.get(url("list"), {"service": retired.pk})) != []  # not a choice


def test_type_status_tag_and_service_filters_are_multi_select(
    cast, login, django_assert_num_queries
):
    """Druva's list filters: tick several values, rows matching any of them are listed."""
    gold, silver = Tag.objects.create(name="gold"), Tag.objects.create(name="silver")
    cast.customer.tags.add(gold)
    cast.deep_customer.tags.add(silver)
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.ACTIVE)
    Organisation.objects.filter(pk=cast.deep_customer.pk).update(
        status=Status.SUSPENDED, customer_type="demo"
    )
    vpn = subscribe(cast.customer).service
    client = login(cast.reseller_admin)
    client.get(url("list"))  # warm the session
    # The chosen tags and services are looked up once each, to validate them.
    with django_assert_num_queries(LIST_QUERIES + 2):
        response = client.get(
            url("list"),
            {"status": ["active", "suspended"], "tag": [gold.pk, silver.pk], "service": [vpn.pk]},
        )
    assert names(response) == ["Customer One"]
    assert set(names(client.get(url("list"), {"status": ["active", "suspended"]}))) == {
        "Customer One",
        "Deep Customer",
    }
    assert set(names(client.get(url("list"), {"tag": [gold.pk, silver.pk]}))) == {
        "Customer One",
        "Deep Customer",
    }
    both_types = {"customer_type": ["standard", "demo"], "status": ["active", "suspended"]}
    assert set(names(client.get(url("list"), both_types))) == {"Customer One", "Deep Customer"}
    page = response.content.decode()
    assert "Active, Suspended" in page and "Reset" in page and "Apply" in page
