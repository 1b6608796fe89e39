"""Rate limits per key and per person: 429 with Retry-After."""

import pytest
from django.urls import reverse

from tests.api.helpers import api_client, bearer, make_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_limits(settings, request):
    # This process's memory: the counts of an earlier run (same ids, shared Redis) must not
    # carry over into this one.
    settings.CACHES = {
        **settings.CACHES,
        "api_throttle": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.name,
        },
    }
    settings.API_RATE_PER_KEY = "3/minute"
    settings.API_RATE_PER_USER = "5/minute"
    return settings


def test_a_key_over_its_limit_gets_429_with_retry_after(cast, low_limits):
    client = api_client(cast.customer_admin)
    url = reverse("api:organisation-detail", args=[cast.customer.pk])
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(url)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60


def test_a_person_with_several_keys_is_limited_as_one(cast, low_limits):
    url = reverse("api:organisation-detail", args=[cast.customer.pk])
    first = bearer(make_key(cast.help_desk, name="one")[1])
    second = bearer(make_key(cast.help_desk, name="two")[1])
    statuses = [first.get(url).status_code for _ in range(3)]
    statuses += [second.get(url).status_code for _ in range(3)]
    assert statuses == [200] * 5 + [429]
