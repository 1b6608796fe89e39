"""Webhooks: register, change and remove them; record an event's deliveries in the same
transaction as the change it reports; send them, signed, from a worker; resend by hand.

Signing: ``X-Canopy-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
A receiver recomputes the HMAC over the exact bytes it got and refuses an old ``t``.

Where a delivery may go: HTTPS only, and never to a loopback, private, link-local or other
internal address (``WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` lifts that, for tests and closed
networks). The name is resolved once per attempt and the connection made to the address that
was checked, so a name that changes its answer between the check and the call reaches
nothing it should not.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from celery import current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from core.actors import recorded_user
from core.credentials import decrypt_secret, encrypt_secret
from core.scoping import require_permission
from customers.models import (
    DeliveryState,
    Organisation,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
)

logger = logging.getLogger("customers.webhooks")

DELIVER_TASK = "customers.deliver_webhook"
SECRET_PREFIX = "whsec_"
SIGNATURE_HEADER = "X-Canopy-Signature"
TIMEOUT_SECONDS = 10
WEBHOOKS_DENIED = "Only this organisation's administrators manage its webhooks."


# --- Where a delivery may go -----------------------------------------------------------------


def _refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def resolve_target(url: str) -> tuple[str, int, str]:
    """(host name, port, the address to connect to) of an allowed HTTPS URL, or a
    ValidationError that says why it is not."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValidationError({"url": _("Use an https:// URL.")})
    if parts.username or parts.password:
        raise ValidationError({"url": _("Leave user names and passwords out of the URL.")})
    host = parts.hostname
    try:
        port = parts.port or 443
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError):
        raise ValidationError({"url": _("%(host)s cannot be resolved.") % {"host": host}}) from None
    addresses = [info[4][0] for info in found]
    allowed = settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES
    if not allowed and any(_refused_address(address) for address in addresses):
        raise ValidationError(
            {
                "url": _(
                    "%(host)s is an internal address (loopback, private or link-local): "
                    "webhooks only call public addresses."
                )
                % {"host": host}
            }
        )
    return host, port, addresses[0]


# --- Registering ---------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    unknown = [event for event in chosen if event not in WebhookEvent.values]
    if unknown or not chosen:
        raise ValidationError({"events": _("Choose one or more of the listed events.")})
    return chosen


@transaction.atomic
def create_webhook(
    *, actor: Any, organisation: Organisation, url: str, events: Iterable[str]
) -> tuple[Webhook, str]:
    """Register an endpoint; returns it and its signing secret, shown this once."""
    require_permission(actor, "change_organisation", organisation, WEBHOOKS_DENIED)
    resolve_target(url)
    secret = new_secret()
    webhook = Webhook(
        organisation=organisation,
        url=url,
        events=_clean_events(events),
        secret=encrypt_secret(secret),
        created_by=recorded_user(actor),
    )
    webhook.full_clean(exclude=["secret"])
    webhook.save()
    return webhook, secret


@transaction.atomic
def update_webhook(*, actor: Any, webhook: Webhook, changes: dict[str, Any]) -> Webhook:
    require_permission(actor, "change_organisation", webhook.organisation, WEBHOOKS_DENIED)
    if "url" in changes:
        resolve_target(changes["url"])
        webhook.url = changes["url"]
    if "events" in changes:
        webhook.events = _clean_events(changes["events"])
    if "is_active" in changes:
        webhook.is_active = bool(changes["is_active"])
    webhook.full_clean(exclude=["secret"])
    webhook.save()
    return webhook


@transaction.atomic
def delete_webhook(*, actor: Any, webhook: Webhook) -> None:
    require_permission(actor, "change_organisation", webhook.organisation, WEBHOOKS_DENIED)
    webhook.delete()


@transaction.atomic
def resend_delivery(*, actor: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again by hand (a new round of attempts), whatever became of it."""
    require_permission(actor, "change_organisation", delivery.webhook.organisation, WEBHOOKS_DENIED)
    if not delivery.webhook.is_active:
        raise ValidationError(_("This webhook is switched off: switch it on to send."))
    locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    locked.state, locked.attempts = DeliveryState.PENDING, 0
    locked.next_attempt_at, locked.delivered_at = timezone.now(), None
    locked.save(update_fields=["state", "attempts", "next_attempt_at", "delivered_at"])
    transaction.on_commit(lambda: send_delivery_message(locked.pk))
    return locked


# --- Recording events -----------------------------------------------------------------------


def _listening(organisation_id: int | None, event: str) -> list[Webhook]:
    """The active webhooks of ``organisation`` and of every organisation above it that asked
    for ``event`` (one query)."""
    if organisation_id is None:
        return []
    place = Organisation.objects.filter(pk=organisation_id).values("tree_id", "lft").first()
    if place is None:
        return []
    hooks = Webhook.objects.filter(
        is_active=True,
        organisation__tree_id=place["tree_id"],
        organisation__lft__lte=place["lft"],
        organisation__rght__gte=place["lft"],
    )
    return [hook for hook in hooks if event in hook.events]


def emit(event: str, organisation_id: int | None, data: dict | Iterable[dict]) -> int:
    """Record the deliveries of ``event`` (one per webhook that listens, per item of
    ``data``) in the caller's transaction; the worker is told after commit. Returns how
    many were recorded."""
    hooks = _listening(organisation_id, event)
    if not hooks:
        return 0
    items = [data] if isinstance(data, dict) else list(data)
    now = timezone.now()
    rows = [
        WebhookDelivery(
            webhook=hook,
            event=event,
            payload=json.loads(
                json.dumps(
                    {"event": event, "created": now, "organisation": organisation_id, "data": item},
                    cls=DjangoJSONEncoder,
                )
            ),
            next_attempt_at=now,
        )
        for hook in hooks
        for item in items
    ]
    WebhookDelivery.objects.bulk_create(rows, batch_size=1000)
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: [send_delivery_message(pk) for pk in ids])
    return len(rows)


def send_delivery_message(delivery_id: int, countdown: float = 0) -> None:
    """After commit; should the broker not take it, ``sweep_deliveries`` sends it later."""
    try:
        current_app.send_task(DELIVER_TASK, args=[delivery_id], countdown=countdown or None)
    except (OSError, KombuOperationalError):
        logger.warning("delivery %s: the broker did not take its message; beat will", delivery_id)


# --- Sending ------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _ssl_context() -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.WEBHOOK_CA_FILE or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to ``address`` (the one that was checked), with the certificate checked for the
    host name in the URL."""

    def __init__(self, host: str, port: int, address: str, **kwargs):
        super().__init__(host, port, context=_ssl_context(), timeout=TIMEOUT_SECONDS, **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    host, port, address = resolve_target(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _PinnedHTTPSConnection(host, port, address)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # what the endpoint says is not kept, only its status
        return response.status
    finally:
        connection.close()


def backoff(attempts: int) -> timedelta:
    """After the n-th failed attempt: base x 4^(n-1), capped (30 s, 2 min, 8 min ...)."""
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * 4 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, 6 * 60 * 60))


def deliver(delivery_id: int) -> str | None:
    """One attempt at a due delivery (the worker's task). The row is locked for the attempt
    so two workers never send it twice at once; returns its state afterwards."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("webhook")
            .filter(
                pk=delivery_id,
                state=DeliveryState.PENDING,
                next_attempt_at__lte=timezone.now(),
            )
            .first()
        )
        if delivery is None:
            return None
        webhook = delivery.webhook
        body = json.dumps(
            {"id": delivery.pk, **delivery.payload}, separators=(",", ":"), sort_keys=True
        ).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Canopy-Webhooks/1",
            "X-Canopy-Event": delivery.event,
            "X-Canopy-Delivery": str(delivery.pk),
        }
        status_code, error = None, ""
        started = time.monotonic()
        try:
            headers[SIGNATURE_HEADER] = sign(decrypt_secret(webhook.secret), timestamp, body)
            status_code = _post(webhook.url, body, headers)
            if not 200 <= status_code < 300:
                error = _("The endpoint answered %(code)s.") % {"code": status_code}
        except ValidationError as refused:
            error = " ".join(refused.messages)
        except (OSError, http.client.HTTPException, ssl.SSLError) as failure:
            error = f"{type(failure).__name__}: {failure}"
        except Exception as failure:  # a bug: recorded for the admins, logged for us
            logger.exception("delivery %s failed with a bug", delivery.pk)
            error = f"{type(failure).__name__}"
        WebhookAttempt.objects.create(
            delivery=delivery,
            status_code=status_code,
            error=error[:500],
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        delivery.attempts += 1
        now = timezone.now()
        if not error:
            delivery.state, delivery.delivered_at, delivery.next_attempt_at = (
                DeliveryState.SUCCEEDED,
                now,
                None,
            )
        elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
        else:
            wait = backoff(delivery.attempts)
            delivery.next_attempt_at = now + wait
            transaction.on_commit(lambda: send_delivery_message(delivery.pk, wait.total_seconds()))
        delivery.save(update_fields=["attempts", "state", "delivered_at", "next_attempt_at"])
        return delivery.state


def sweep_deliveries(older_than: timedelta = timedelta(minutes=2)) -> int:
    """Beat: send again what is overdue (a lost message, a worker that died mid-send)."""
    due = WebhookDelivery.objects.filter(
        state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now() - older_than
    ).values_list("pk", flat=True)[:1000]
    due = list(due)
    for pk in due:
        send_delivery_message(pk)
    return len(due)


def purge_deliveries() -> int:
    """Beat: forget deliveries older than ``WEBHOOK_DELIVERY_RETENTION_DAYS``."""
    cutoff = timezone.now() - timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    _total, by_model = WebhookDelivery.objects.filter(created__lt=cutoff).delete()
    return by_model.get(WebhookDelivery._meta.label, 0)


def may_manage_webhooks(actor: Any, organisation: Organisation) -> bool:
    try:
        require_permission(actor, "change_organisation", organisation)
    except PermissionDenied:
        return False
    return True
