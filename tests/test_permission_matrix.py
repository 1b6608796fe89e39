"""Every URL x every cast member -> the expected status (rows in tests/matrix/)."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from core.models import Job
from customers.actions.api_keys import SCOPES
from customers.models import ApiKey
from customers.models.api_keys import digest
from tests.matrix import MATRIX, ROLES

pytestmark = pytest.mark.django_db


API_METHODS = ("get", "post", "put", "patch", "delete")


def named_patterns(resolver=None, namespace=""):
    """(name, pattern) of every named URL of the project, except Django admin's own
    (superusers only)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def named_urls():
    return {name for name, _pattern in named_patterns()}


def url_name(row_key: str) -> str:
    return row_key.split(" ")[0]


def api_operations() -> set[str]:
    """Every (URL, method) an API view answers, as matrix keys ("name" for GET)."""
    operations = set()
    for name, pattern in named_patterns():
        view_class = getattr(pattern.callback, "view_class", None)
        if not name.startswith("api:") or view_class is None:
            continue
        for method in API_METHODS:
            if hasattr(view_class, method):
                operations.add(name if method == "get" else f"{name} {method.upper()}")
    return operations


def test_every_url_has_a_row_in_the_matrix():
    missing = sorted(named_urls() - {url_name(key) for key in MATRIX})
    assert not missing, f"add rows for these URLs to tests/matrix/<app>.py: {missing}"


def test_every_api_operation_has_a_row_in_the_matrix():
    missing = sorted(api_operations() - set(MATRIX))
    assert not missing, f"add rows for these API operations to tests/matrix/api.py: {missing}"


def test_the_matrix_names_no_url_that_does_not_exist():
    assert not sorted({url_name(key) for key in MATRIX} - named_urls())
    api_rows = {key for key in MATRIX if key.startswith("api:")}
    assert not sorted(api_rows - api_operations())
    assert all(MATRIX[key].method == "get" for key in api_rows if " " not in key)
    assert all(MATRIX[key].method == key.split(" ")[1].lower() for key in MATRIX if " " in key)


@pytest.fixture
def matrix_cast(cast):
    cast.customer_job = Job.objects.create(
        kind="provision_customer",
        organisation=cast.customer,
        target_label=cast.customer.name,
        lock_key=f"org:{cast.customer.pk}",
    )
    return cast


def widest_key(owner) -> str:
    """A key of ``owner`` with every scope on their own organisation: what it may do is
    bounded by its owner alone."""
    prefix, secret, plain = ApiKey.new_secret()
    ApiKey.objects.create(
        owner=owner,
        name="matrix",
        organisation=owner.organisation,
        scopes=list(SCOPES),
        prefix=prefix,
        digest=digest(secret),
        expires_at=timezone.now() + timedelta(days=1),
    )
    return plain


def call(row, client, url, data):
    if not row.api or row.method == "get" or row.multipart:
        return getattr(client, row.method)(url, data)
    return getattr(client, row.method)(url, json.dumps(data), content_type="application/json")


@pytest.mark.parametrize("row_key", sorted(MATRIX))
def test_each_cast_member_gets_the_expected_status(matrix_cast, row_key):
    row = MATRIX[row_key]
    cast = matrix_cast
    url = reverse(url_name(row_key), args=row.args(cast)) + row.query
    wrong = []
    for role in ROLES:
        client = Client()
        if role != "anonymous" and row.api:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {widest_key(getattr(cast, role))}")
        elif role != "anonymous":
            client.force_login(getattr(cast, role), backend="portal.auth.UsernameOrUpnBackend")
        with transaction.atomic():
            before = row.unchanged(cast) if row.unchanged else None
            data = row.data(cast) if row.data else {}
            response = call(row, client, url, data)
            expected = row.statuses[role]
            if response.status_code != expected:
                wrong.append(f"{role}: got {response.status_code}, expected {expected}")
            elif row.unchanged and expected in (403, 404):
                after = row.unchanged(cast)
                if after != before:
                    wrong.append(f"{role}: refused with {expected} but changed {before} -> {after}")
            transaction.set_rollback(True)
    assert not wrong, f"{row_key} ({url}): " + "; ".join(wrong)
