"""Counts stay exact while small and become an estimate, said as "about", past the limit."""

import pytest
from django.db import connection
from django.db.models import Q
from django.urls import reverse

from core.counting import BoundedPaginator, bounded_count, bounded_counts
from customers.models import Organisation, Status
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the estimate is PostgreSQL's planner's"
)


def test_a_count_up_to_the_limit_is_exact_and_reads_no_more_than_it_needs(cast):
    everything = Organisation.objects.all()
    assert bounded_count(everything, limit=100) == bounded_count(everything, limit=7)
    counted = bounded_count(everything, limit=100)
    assert counted.exact and counted.value == Organisation.objects.count() == 7
    assert str(counted) == "7"


@postgresql_only
def test_past_the_limit_the_count_is_the_planners_estimate_said_as_about(cast):
    for number in range(40):
        OrganisationFactory(name=f"Many {number}", code=f"MANY{number}", parent=cast.reseller)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_organisation")
    counted = bounded_count(Organisation.objects.all(), limit=10)
    assert not counted.exact and counted.value > 10
    assert str(counted).startswith("about ")
    counts = bounded_counts(
        Organisation.objects.all(),
        limit=10,
        resellers=Q(is_reseller=True),
        failed=Q(status=Status.FAILED),
    )
    assert not counts["total"].exact
    assert counts["resellers"].exact and counts["resellers"].value == 4  # under the limit: exact
    assert counts["failed"].exact and counts["failed"].value == 0 and not counts["failed"]


def test_small_counts_share_one_query(cast, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = bounded_counts(
            Organisation.objects.all(), limit=100, resellers=Q(is_reseller=True)
        )
    assert (counts["total"].value, counts["resellers"].value) == (7, 4)


@postgresql_only
def test_the_list_and_the_dashboard_say_about_past_the_limit(cast, login, settings):
    for number in range(40):
        OrganisationFactory(name=f"Many {number}", code=f"MANY{number}", parent=cast.reseller)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_organisation")
    settings.COUNT_EXACT_UP_TO = 10
    client = login(cast.provider_admin)
    listing = client.get(reverse("customers:list")).content.decode()
    assert '<span data-count="results">about ' in listing
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert 'data-count="organisations">about ' in dashboard
    settings.COUNT_EXACT_UP_TO = 10_000
    listing = client.get(reverse("customers:list")).content.decode()
    assert f'<span data-count="results">{Organisation.objects.count()}<' in listing


def test_an_estimated_paginator_lets_any_page_through(cast):
    paginator = BoundedPaginator(Organisation.objects.order_by("pk"), 2)
    assert paginator.count == 7 and not paginator.approximate
    assert len(paginator.page(4).object_list) == 1
