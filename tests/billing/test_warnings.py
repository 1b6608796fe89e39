"""The unit warn level: one e-mail per crossing (Django's locmem outbox for now; the SMTP
test server comes with the issue "Running a provider business in the browser")."""

import pytest

from billing.actions.accounts import account_for, update_profile
from billing.actions.ledger import credit, debit
from core.actors import SYSTEM
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_one_email_per_crossing_to_the_billing_contact_and_the_admins(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    cast.customer.email = "accounts@customer.example"
    cast.customer.save()
    UserFactory(organisation=cast.customer, email="boss@customer.example", is_admin=True)
    account = account_for(cast.customer)
    update_profile(
        actor=SYSTEM, account=account, changes={"unit_warn_level": 10, "cutoff_balance": 0}
    )
    with django_capture_on_commit_callbacks(execute=True):
        credit(actor=SYSTEM, account=account, units=20, description="Opening")
        debit(actor=SYSTEM, account=account, units=12, description="Use")  # 8: crossed
        debit(actor=SYSTEM, account=account, units=1, description="Use")  # 7: same crossing
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert set(message.to) == {"accounts@customer.example", "boss@customer.example"}
    assert "8.00" in message.body and "10.00" in message.body and "cutoff" in message.body
    with django_capture_on_commit_callbacks(execute=True):
        credit(actor=SYSTEM, account=account, units=10, description="Top-up")  # 17: re-armed
        debit(actor=SYSTEM, account=account, units=9, description="Use")  # 8: crossed again
    assert len(mailoutbox) == 2


def test_a_rolled_back_debit_sends_nothing(cast, mailoutbox, django_capture_on_commit_callbacks):
    cast.customer.email = "accounts@customer.example"
    cast.customer.save()
    account = account_for(cast.customer)
    update_profile(actor=SYSTEM, account=account, changes={"unit_warn_level": 10})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        debit(actor=SYSTEM, account=account, units=1, description="Use")
    assert len(callbacks) == 1  # the e-mail waits for the commit
    assert mailoutbox == []
