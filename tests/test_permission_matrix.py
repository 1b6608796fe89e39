"""Every URL x every cast member -> the expected status (rows in tests/matrix/)."""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.models import Job
from tests.matrix import MATRIX, ROLES

pytestmark = pytest.mark.django_db


def named_urls(resolver=None, namespace=""):
    """Every named URL pattern of the project, except Django admin's own (superusers only)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_urls(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_every_url_has_a_row_in_the_matrix():
    missing = sorted(set(named_urls()) - set(MATRIX))
    assert not missing, f"add rows for these URLs to tests/matrix/<app>.py: {missing}"


def test_the_matrix_names_no_url_that_does_not_exist():
    assert not sorted(set(MATRIX) - set(named_urls()))


@pytest.fixture
def matrix_cast(cast):
    cast.customer_job = Job.objects.create(
        kind="provision_customer",
        organisation=cast.customer,
        target_label=cast.customer.name,
        lock_key=f"org:{cast.customer.pk}",
    )
    return cast


@pytest.mark.parametrize("url_name", sorted(MATRIX))
def test_each_cast_member_gets_the_expected_status(matrix_cast, url_name):
    row = MATRIX[url_name]
    cast = matrix_cast
    url = reverse(url_name, args=row.args(cast)) + row.query
    wrong = []
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(getattr(cast, role), backend="portal.auth.UsernameOrUpnBackend")
        with transaction.atomic():
            before = row.unchanged(cast) if row.unchanged else None
            data = row.data(cast) if row.data else {}
            response = getattr(client, row.method)(url, data)
            expected = row.statuses[role]
            if response.status_code != expected:
                wrong.append(f"{role}: got {response.status_code}, expected {expected}")
            elif row.unchanged and expected in (403, 404):
                after = row.unchanged(cast)
                if after != before:
                    wrong.append(f"{role}: refused with {expected} but changed {before} -> {after}")
            transaction.set_rollback(True)
    assert not wrong, f"{url_name} ({url}): " + "; ".join(wrong)
