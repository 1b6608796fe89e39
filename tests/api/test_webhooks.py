"""Webhooks: registered by an organisation's admins, fed by events in its subtree, delivered
signed to a real HTTPS endpoint (a CA made by the test), retried, recorded, resent, purged,
and never sent to an internal address unless the setting allows it."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.credentials import decrypt_secret
from customers.actions.webhooks import deliver, purge_deliveries
from customers.models import Organisation, Webhook, WebhookDelivery
from tests.api.helpers import api_client
from tests.api.test_endpoints import patch, post
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reachable(settings, https_receiver):
    """The test's endpoint is on loopback and signed by the test's own CA."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_CA_FILE = https_receiver.ca_file
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    return https_receiver


def register(client, organisation, url, events):
    response = post(
        client, reverse("api:webhook-list", args=[organisation.pk]), {"url": url, "events": events}
    )
    assert response.status_code == 201, response.json()
    return response.json()


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """What a receiver does (the README's example, in the test)."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256)
    fresh = abs(timezone.now().timestamp() - int(fields["t"])) <= tolerance
    return fresh and hmac.compare_digest(expected.hexdigest(), fields["v1"])


def due(delivery: WebhookDelivery) -> None:
    """The backoff has passed (the worker's countdown, without waiting for it)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_a_user_created_through_the_api_is_delivered_signed(cast, reachable):
    client = api_client(cast.customer_admin)
    hook = register(client, cast.customer, reachable.url, ["user.created"])
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    stored = Webhook.objects.get(pk=hook["id"])
    assert secret not in stored.secret and decrypt_secret(stored.secret) == secret
    assert "secret" not in client.get(reverse("api:webhook-detail", args=[hook["id"]])).json()
    domain = cast.customer.primary_domain.name
    made = post(
        client,
        reverse("api:user-list"),
        {"organisation": cast.customer.pk, "upn": f"hooked@{domain}", "first_name": "Hooked"},
    )
    assert made.status_code == 201
    delivery = WebhookDelivery.objects.get(webhook=hook["id"])
    assert delivery.event == "user.created"
    assert deliver(delivery.pk) == "succeeded"
    (received,) = reachable.requests
    assert received.path == "/hooks/canopy"
    assert received.headers["X-Canopy-Event"] == "user.created"
    assert verify(secret, received.headers["X-Canopy-Signature"], received.body)
    assert not verify("whsec_wrong", received.headers["X-Canopy-Signature"], received.body)
    body = json.loads(received.body)
    assert body["data"]["upn"] == f"hooked@{domain}" and body["id"] == delivery.pk


def test_a_receiver_that_fails_twice_gets_three_attempts_and_one_success(cast, reachable):
    reachable.answers = [500, 503]
    client = api_client(cast.reseller_admin)
    hook = register(client, cast.reseller, reachable.url, ["customer.lifecycle_changed"])
    # A lifecycle change below the reseller (its subtree) is an event for it.
    Organisation.objects.filter(pk=cast.customer.pk).update(status="active")
    assert (
        post(client, reverse("api:organisation-suspend", args=[cast.customer.pk])).status_code
        == 202
    )
    delivery = WebhookDelivery.objects.get(webhook=hook["id"])
    assert delivery.payload["data"]["to"] == "suspended"
    assert deliver(delivery.pk) is not None
    delivery.refresh_from_db()
    assert delivery.state == "pending" and delivery.next_attempt_at > timezone.now()
    assert deliver(delivery.pk) is None  # not due yet: the backoff holds it
    due(delivery)
    deliver(delivery.pk)
    due(delivery)
    assert deliver(delivery.pk) == "succeeded"
    answers = client.get(reverse("api:webhook-delivery-list", args=[hook["id"]])).json()
    (listed,) = answers["results"]
    assert [a["status_code"] for a in listed["attempt_log"]] == [500, 503, 200]
    assert [bool(a["error"]) for a in listed["attempt_log"]] == [True, True, False]
    assert listed["state"] == "succeeded" and listed["attempts"] == 3
    assert len(reachable.requests) == 3


def test_events_reach_the_subtrees_webhooks_only(cast, reachable):
    mine = register(
        api_client(cast.reseller_admin), cast.reseller, reachable.url, ["customer.created"]
    )
    other = register(
        api_client(cast.reseller2_admin), cast.reseller2, reachable.url, ["customer.created"]
    )
    OrganisationFactory(name="Below Reseller One", parent=cast.reseller)
    assert WebhookDelivery.objects.filter(webhook=mine["id"]).count() == 1
    assert not WebhookDelivery.objects.filter(webhook=other["id"]).exists()


def test_a_delivery_is_resent_by_hand_and_old_ones_are_purged(cast, reachable, settings):
    reachable.answers = [500]
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    client = api_client(cast.reseller_admin)
    hook = register(client, cast.reseller, reachable.url, ["customer.created"])
    OrganisationFactory(name="Resent", parent=cast.reseller)
    delivery = WebhookDelivery.objects.get(webhook=hook["id"])
    assert deliver(delivery.pk) == "failed"
    resent = post(client, reverse("api:webhook-delivery-resend", args=[delivery.pk]))
    assert resent.status_code == 202 and resent.json()["state"] == "pending"
    assert deliver(delivery.pk) == "succeeded"
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created=timezone.now() - timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS + 1)
    )
    assert purge_deliveries() == 1
    assert not WebhookDelivery.objects.filter(pk=delivery.pk).exists()


def test_internal_and_plain_http_addresses_are_refused(cast, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    client = api_client(cast.customer_admin)
    url = reverse("api:webhook-list", args=[cast.customer.pk])
    for address in (
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "http://example.com/hook",
        "https://localhost/hook",
    ):
        response = post(client, url, {"url": address, "events": ["user.created"]})
        assert response.status_code == 400 and "url" in response.json(), address
    assert not Webhook.objects.exists()


def test_a_delivery_to_an_address_that_became_internal_is_refused_and_recorded(
    cast, reachable, settings
):
    client = api_client(cast.reseller_admin)
    hook = register(client, cast.reseller, reachable.url, ["customer.created"])
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    OrganisationFactory(name="Rebound", parent=cast.reseller)
    delivery = WebhookDelivery.objects.get(webhook=hook["id"])
    deliver(delivery.pk)
    attempt = delivery.attempt_rows.get()
    assert attempt.status_code is None and "internal address" in attempt.error
    assert not reachable.requests


def test_only_the_organisations_admins_manage_its_webhooks(cast, reachable):
    url = reverse("api:webhook-list", args=[cast.customer.pk])
    assert api_client(cast.help_desk).get(url).status_code == 403
    assert api_client(cast.reseller2_admin).get(url).status_code == 404
    hook = register(api_client(cast.customer_admin), cast.customer, reachable.url, ["job.failed"])
    detail = reverse("api:webhook-detail", args=[hook["id"]])
    changed = patch(
        api_client(cast.customer_admin), detail, {"events": ["job.failed", "user.created"]}
    )
    assert changed.status_code == 200 and changed.json()["events"] == ["job.failed", "user.created"]
    bad = patch(api_client(cast.customer_admin), detail, {"events": ["no.such"]})
    assert bad.status_code == 400
    assert api_client(cast.customer_admin).delete(detail).status_code == 204


def test_the_webhooks_page_shows_the_secret_once_and_the_deliveries(cast, reachable, login):
    client = login(cast.customer_admin)
    url = reverse("customers:webhooks", args=[cast.customer.pk])
    page = client.post(url, {"url": reachable.url, "events": ["user.created"]})
    assert page.status_code == 200
    webhook = Webhook.objects.get(organisation=cast.customer)
    secret = decrypt_secret(webhook.secret)
    assert secret in page.content.decode()
    assert secret not in client.get(url).content.decode()
    refused = client.post(url, {"url": "http://example.com/", "events": ["user.created"]})
    assert "https" in refused.content.decode()
    detail = client.get(reverse("customers:webhook_detail", args=[cast.customer.pk, webhook.pk]))
    assert detail.status_code == 200
    assert login(cast.help_desk).get(url).status_code == 403
