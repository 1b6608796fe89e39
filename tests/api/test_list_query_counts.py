"""Query counts pinned for the list endpoints the other API tests do not pin: webhooks and
their deliveries, service accounts, the grantable roles, the plans a customer may be given,
and credit notes. Each costs the same for one row as for several (no query per row)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from billing.actions.credit_notes import create_credit_note
from core.actors import SYSTEM
from core.credentials import encrypt_secret
from customers.actions.service_accounts import create_service_account
from customers.models import Plan, Role, Service, Webhook, WebhookAttempt, WebhookDelivery
from tests.api.helpers import api_client
from tests.fixtures.catalogue import subscribe
from tests.fixtures.invoices import credit_note

pytestmark = pytest.mark.django_db

# The key (with its owner), its first use written, the caller's scope, the organisation in
# the URL and the page, and what each needs besides.
WEBHOOK_LIST_QUERIES = 5
DELIVERY_LIST_QUERIES = 6  # ... the webhook in the URL, the page, its attempts
SERVICE_ACCOUNT_LIST_QUERIES = 5
ROLE_LIST_QUERIES = 6  # ... the roles the organisation allows, their permissions
OFFERED_PLAN_LIST_QUERIES = 5
CREDIT_NOTE_LIST_QUERIES = 5  # the key, its first use, the scope, the page, the notes' lines


def _webhook(cast, n: int = 0) -> Webhook:
    return Webhook.objects.create(
        organisation=cast.customer,
        url=f"https://8.8.8.8/canopy/{n}",
        events=["user.created"],
        secret=encrypt_secret("whsec_counting"),
    )


def _delivery(webhook: Webhook, attempts: int = 2) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(webhook=webhook, event="user.created")
    WebhookAttempt.objects.bulk_create(
        WebhookAttempt(delivery=delivery, status_code=500) for _ in range(attempts)
    )
    return delivery


def _first_webhook(cast) -> Webhook:
    return Webhook.objects.filter(organisation=cast.customer).first() or _webhook(cast)


def _service_account(cast, n: int):
    return create_service_account(
        actor=cast.customer_admin,
        organisation=cast.customer,
        name=f"Sync {n}",
        role=Role.objects.get(name="Help Desk"),
    )


def _role(cast, n: int):
    role = Role.objects.create(name=f"Custom {n}", organisation=cast.customer)
    role.permissions.set(Role.objects.get(name="Help Desk").permissions.all())
    return role


def _offered_plan(cast, n: int):
    service = Service.objects.create(
        code=f"OFF{n}", name=f"Offered {n}", service_type="security_group"
    )
    subscribe(cast.reseller, Plan.objects.create(service=service, name="Standard"))


def _credit_note(cast, n: int):
    note = credit_note(cast)
    create_credit_note(
        actor=SYSTEM,
        invoice=note.invoice,
        reason=f"Count {n}",
        amounts={note.invoice.lines.get().pk: "1.00"},
    )


# name, who asks, the URL's arguments, one more row
LISTS = {
    "api:webhook-list": (
        "customer_admin",
        lambda c: [c.customer.pk],
        lambda c, n: _webhook(c, n + 1),
        WEBHOOK_LIST_QUERIES,
    ),
    "api:webhook-delivery-list": (
        "customer_admin",
        lambda c: [_first_webhook(c).pk],
        lambda c, n: _delivery(_first_webhook(c)),
        DELIVERY_LIST_QUERIES,
    ),
    "api:service-account-list": (
        "customer_admin",
        lambda c: [c.customer.pk],
        _service_account,
        SERVICE_ACCOUNT_LIST_QUERIES,
    ),
    "api:role-list": ("reseller_admin", lambda c: [c.customer.pk], _role, ROLE_LIST_QUERIES),
    "api:offered-plan-list": (
        "reseller_admin",
        lambda c: [c.customer.pk],
        _offered_plan,
        OFFERED_PLAN_LIST_QUERIES,
    ),
    "api:credit-note-list": (
        "reseller_admin",
        lambda c: [],
        _credit_note,
        CREDIT_NOTE_LIST_QUERIES,
    ),
}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_the_list_costs_the_same_for_one_row_or_many(cast, django_assert_num_queries, name):
    who, args, one_more, queries = LISTS[name]
    one_more(cast, 0)
    url = reverse(name, args=args(cast))
    user = getattr(cast, who)
    first, later = api_client(user), api_client(user)
    with django_assert_num_queries(queries):
        response = first.get(url)
    assert response.status_code == 200, response.content
    for n in range(1, 4):
        one_more(cast, n)
    with django_assert_num_queries(queries):
        response = later.get(url)
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert len(rows) > 1
