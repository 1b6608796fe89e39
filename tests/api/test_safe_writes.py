"""ETags with If-Match (412 on stale, nothing changed) and Idempotency-Key (a retried POST
is done once and answered the same)."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.models import IdempotentRequest
from customers.models import Organisation, User
from tests.api.helpers import api_client, make_key

pytestmark = pytest.mark.django_db


def new_customer(cast, name="Once Only"):
    return {
        "parent": cast.reseller.pk,
        "name": name,
        "email": "it@once-only.example",
        "domain_name": "once-only.example",
    }


def test_a_patch_with_a_stale_etag_gets_412_and_changes_nothing(cast):
    client = api_client(cast.customer_admin)
    url = reverse("api:organisation-detail", args=[cast.customer.pk])
    read = client.get(url)
    etag = read["ETag"]
    first = client.patch(
        url, json.dumps({"city": "York"}), content_type="application/json", HTTP_IF_MATCH=etag
    )
    assert first.status_code == 200 and first["ETag"] != etag
    stale = client.patch(
        url, json.dumps({"city": "Hull"}), content_type="application/json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    cast.customer.refresh_from_db()
    assert cast.customer.city == "York"
    fresh = client.patch(
        url,
        json.dumps({"city": "Hull"}),
        content_type="application/json",
        HTTP_IF_MATCH=first["ETag"],
    )
    assert fresh.status_code == 200


def test_a_users_etag_changes_with_what_was_read(cast):
    client = api_client(cast.customer_admin)
    url = reverse("api:user-detail", args=[cast.end_user.pk])
    etag = client.get(url)["ETag"]
    User.objects.filter(pk=cast.end_user.pk).update(first_name="Someone Else")
    stale = client.patch(
        url, json.dumps({"last_name": "X"}), content_type="application/json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    assert User.objects.get(pk=cast.end_user.pk).last_name != "X"


def test_a_post_retried_with_the_same_key_creates_one_customer(cast):
    client = api_client(cast.reseller_admin)
    url = reverse("api:customer-create")
    body = json.dumps(new_customer(cast))
    first = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert Organisation.objects.filter(name="Once Only").count() == 1


def test_the_same_key_with_another_request_is_refused(cast):
    client = api_client(cast.reseller_admin)
    url = reverse("api:customer-create")
    client.post(
        url,
        json.dumps(new_customer(cast)),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    other = client.post(
        url,
        json.dumps(new_customer(cast, name="Another")),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    assert other.status_code == 422
    assert not Organisation.objects.filter(name="Another").exists()


def test_keys_belong_to_their_user(cast):
    """Another user's identical key is another request: nobody reads someone else's answer."""
    url = reverse("api:customer-create")
    api_client(cast.reseller_admin).post(
        url,
        json.dumps(new_customer(cast)),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="shared",
    )
    other = api_client(cast.provider_admin).post(
        url,
        json.dumps(new_customer(cast, name="Provider's")),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="shared",
    )
    assert other.status_code == 400  # its own request: the domain is taken by then
    assert "Idempotent-Replayed" not in other
    assert IdempotentRequest.objects.filter(key="shared").count() == 1


def test_a_refused_post_is_not_remembered(cast):
    client = api_client(cast.reseller_admin)
    url = reverse("api:customer-create")
    bad = {**new_customer(cast), "email": "nope"}
    response = client.post(
        url, json.dumps(bad), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-3"
    )
    assert response.status_code == 400
    assert not IdempotentRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_with_one_key_create_one_customer(cast):
    """Both requests at once: the second waits on the first's record, then replays it."""
    _key, plain = make_key(cast.reseller_admin)
    url = reverse("api:customer-create")
    body = json.dumps(new_customer(cast))
    answers = []
    barrier = threading.Barrier(2)

    def send():
        barrier.wait()
        client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
        response = client.post(
            url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="race"
        )
        answers.append(response.status_code)
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [201, 201]
    assert Organisation.objects.filter(name="Once Only").count() == 1


def test_a_delete_with_a_stale_etag_gets_412_and_deletes_nothing(cast):
    client = api_client(cast.customer_admin)
    url = reverse("api:user-detail", args=[cast.end_user.pk])
    etag = client.get(url)["ETag"]
    User.objects.filter(pk=cast.end_user.pk).update(display_name="Renamed Meanwhile")
    assert client.delete(url, HTTP_IF_MATCH=etag).status_code == 412
    assert User.objects.filter(pk=cast.end_user.pk).exists()
    fresh = client.get(url)["ETag"]
    assert client.delete(url, HTTP_IF_MATCH=fresh).status_code in (200, 202)
    assert not User.objects.filter(pk=cast.end_user.pk).exists()
