"""The unit warn level: one e-mail per crossing, sent through SMTP to a real server on a
loopback port (tests/fixtures/smtp.py) and checked as it was received."""

import pytest
from django.conf import settings

from billing.actions.accounts import account_for, update_profile
from billing.actions.ledger import credit, debit
from core.actors import SYSTEM
from customers.models import Contact
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_one_email_per_crossing_to_the_billing_contact_and_the_admins(
    cast, smtp, django_capture_on_commit_callbacks
):
    cast.customer.email = "accounts@customer.example"
    cast.customer.save()
    UserFactory(organisation=cast.customer, email="boss@customer.example", is_admin=True)
    Contact.objects.create(
        organisation=cast.customer, name="Pay", email="pay@customer.example", role="Billing"
    )
    Contact.objects.create(organisation=cast.customer, name="Tech", email="tech@x.example")
    account = account_for(cast.customer)
    update_profile(
        actor=SYSTEM, account=account, changes={"unit_warn_level": 10, "cutoff_balance": 0}
    )
    with django_capture_on_commit_callbacks(execute=True):
        credit(actor=SYSTEM, account=account, units=20, description="Opening")
        debit(actor=SYSTEM, account=account, units=12, description="Use")  # 8: crossed
        debit(actor=SYSTEM, account=account, units=1, description="Use")  # 7: same crossing
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    wanted = {"accounts@customer.example", "boss@customer.example", "pay@customer.example"}
    assert set(smtp.recipients[0]) == wanted
    assert {address.strip() for address in message["To"].split(",")} == wanted
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    body = message.get_content()
    assert "8.00" in body and "10.00" in body and "cutoff" in body
    with django_capture_on_commit_callbacks(execute=True):
        credit(actor=SYSTEM, account=account, units=10, description="Top-up")  # 17: re-armed
        debit(actor=SYSTEM, account=account, units=9, description="Use")  # 8: crossed again
    assert len(smtp.messages) == 2


def test_a_rolled_back_debit_sends_nothing(cast, mailoutbox, django_capture_on_commit_callbacks):
    cast.customer.email = "accounts@customer.example"
    cast.customer.save()
    account = account_for(cast.customer)
    update_profile(actor=SYSTEM, account=account, changes={"unit_warn_level": 10})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        debit(actor=SYSTEM, account=account, units=1, description="Use")
    assert len(callbacks) == 1  # the e-mail waits for the commit
    assert mailoutbox == []


def test_the_banner_shows_on_the_customers_pages_once_below_the_warn_level(cast, login):
    account = account_for(cast.customer)
    update_profile(
        actor=SYSTEM, account=account, changes={"unit_warn_level": 10, "cutoff_balance": 0}
    )
    credit(actor=SYSTEM, account=account, units=20, description="Opening")
    client = login(cast.customer_admin)
    assert b'id="billing-banner"' not in client.get("/").content
    debit(actor=SYSTEM, account=account, units=15, description="Use")
    page = client.get("/")
    assert b'id="billing-banner"' in page.content and b"alert-warning" in page.content
    debit(actor=SYSTEM, account=account, units=5, description="Use")
    assert b"alert-danger" in client.get("/").content  # at the cutoff
    # The end user does not see billing; the reseller's admin is not the customer.
    assert b'id="billing-banner"' not in login(cast.end_user).get("/users/me/").content
    assert b'id="billing-banner"' not in login(cast.reseller_admin).get("/").content
