"""The ledger: credits and debits move the balance in the same transaction as their row,
under the account's row lock, so balance == sum of the ledger after any number of writers."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction

from billing.actions.accounts import account_for, update_profile
from billing.actions.ledger import adjust_units, credit, debit
from billing.actions.offers import add_offer, record_payment, save_offer
from billing.models import BillingAccount, Cause, PurchaseState, Transaction, UnitOffer
from billing.models.ledger import AppendOnly
from core.actors import SYSTEM
from tests.cast import build_cast
from tests.fixtures.racing import race


def test_a_credit_and_a_debit_move_the_balance_and_leave_rows(cast):
    account = account_for(cast.customer)
    credit(actor=cast.reseller_admin, account=account, units="100", description="Top-up")
    debit(actor=cast.reseller_admin, account=account, units="30.5", description="Correction")
    account.refresh_from_db()
    assert account.balance == Decimal("69.50")
    rows = list(account.transactions.order_by("pk"))
    assert [(r.transaction_type, r.amount, r.cause) for r in rows] == [
        ("credit", Decimal("100.00"), Cause.MANUAL),
        ("debit", Decimal("30.50"), Cause.MANUAL),
    ]
    assert rows[0].actor == cast.reseller_admin
    assert rows[1].balance_after == Decimal("69.50")
    assert account.transactions.total() == account.balance


def test_the_ledger_is_append_only(cast):
    account = account_for(cast.customer)
    row = credit(actor=SYSTEM, account=account, units=5, description="x")
    with pytest.raises(AppendOnly):
        row.save()
    with pytest.raises(AppendOnly):
        row.delete()
    with pytest.raises(AppendOnly):
        Transaction.objects.filter(pk=row.pk).update(amount=1)
    with pytest.raises(AppendOnly):
        Transaction.objects.filter(pk=row.pk).delete()


@pytest.mark.parametrize("units", ["0", "-3", "abc", "1e20"])
def test_units_must_be_a_positive_number_and_the_error_names_the_field(cast, units):
    account = account_for(cast.customer)
    with pytest.raises(ValidationError) as refused:
        credit(actor=SYSTEM, account=account, units=units, description="x")
    assert "units" in refused.value.error_dict
    assert not account.transactions.exists()


def test_a_description_and_a_transaction_type_are_required(cast):
    account = account_for(cast.customer)
    with pytest.raises(ValidationError) as refused:
        adjust_units(
            actor=SYSTEM, account=account, transaction_type="gift", units=1, description="x"
        )
    assert "transaction_type" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        credit(actor=SYSTEM, account=account, units=1, description="  ")
    assert "description" in refused.value.error_dict


@pytest.mark.parametrize(
    "who", ["customer_admin", "help_desk", "end_user", "reseller2_admin", "subreseller_admin"]
)
def test_only_the_parents_admins_change_an_account(cast, who):
    account = account_for(cast.customer)
    with pytest.raises(PermissionDenied):
        credit(actor=getattr(cast, who), account=account, units=10, description="mine")
    assert account.transactions.count() == 0


def test_a_reseller_cannot_credit_its_own_account_but_the_provider_can(cast):
    account = account_for(cast.reseller)
    with pytest.raises(PermissionDenied):
        credit(actor=cast.reseller_admin, account=account, units=10, description="mine")
    credit(actor=cast.provider_admin, account=account, units=10, description="wholesale")
    account.refresh_from_db()
    assert account.balance == 10


def test_the_new_permissions_are_in_the_built_in_roles(cast):
    from core.scoping import has_permission

    assert has_permission(cast.reseller_admin, "manage_billing", cast.customer)
    assert has_permission(cast.customer_admin, "view_billing", cast.customer)
    assert not has_permission(cast.customer_admin, "manage_billing", cast.customer)
    assert not has_permission(cast.help_desk, "view_billing", cast.customer)


def test_profile_validates_the_vat_number_with_stdnum_and_defaults_the_address(cast):
    account = account_for(cast.customer)
    with pytest.raises(ValidationError) as refused:
        update_profile(
            actor=cast.reseller_admin,
            account=account,
            changes={"tax_country": "DE", "vat_number": "DE123456789"},
        )
    assert "vat_number" in refused.value.error_dict
    account = update_profile(
        actor=cast.reseller_admin,
        account=account,
        changes={"tax_country": "de", "vat_number": "136 695 976", "city": ""},
    )
    assert account.vat_number == "DE136695976"
    assert account.tax_country == "DE"
    cast.customer.city = "Bonn"
    cast.customer.save()
    account.organisation.refresh_from_db()
    assert account.billing_address()["city"] == "Bonn"
    with pytest.raises(PermissionDenied):
        update_profile(actor=cast.customer_admin, account=account, changes={"tax_exempt": True})


def test_the_warn_level_may_not_be_below_the_cutoff(cast):
    account = account_for(cast.customer)
    with pytest.raises(ValidationError) as refused:
        update_profile(
            actor=cast.reseller_admin,
            account=account,
            changes={"unit_warn_level": 5, "cutoff_balance": 10},
        )
    assert "unit_warn_level" in refused.value.error_dict


def _offer(cast, **fields):
    return save_offer(
        actor=cast.reseller_admin,
        offer=UnitOffer(issuer=cast.reseller, name="Bundle 100", units=100, price=90, **fields),
    )


def test_a_non_credit_customers_offer_is_credited_only_when_paid(cast):
    offer = _offer(cast)
    account = account_for(cast.customer)
    purchase = add_offer(actor=cast.reseller_admin, account=account, offer=offer, description="")
    account.refresh_from_db()
    assert purchase.state == PurchaseState.AWAITING_PAYMENT
    assert account.balance == 0
    record_payment(actor=cast.reseller_admin, purchase=purchase, reference="bank 42")
    account.refresh_from_db()
    assert account.balance == 100
    row = account.transactions.get()
    assert (row.cause, row.offer, row.description) == (Cause.OFFER, offer, "Bundle 100")
    with pytest.raises(ValidationError):
        record_payment(actor=cast.reseller_admin, purchase=purchase)
    account.refresh_from_db()
    assert account.balance == 100


def test_a_credit_customers_offer_is_credited_at_once_and_paid_later(cast):
    offer = _offer(cast)
    account = account_for(cast.customer)
    update_profile(actor=cast.reseller_admin, account=account, changes={"credit_customer": True})
    account.refresh_from_db()
    purchase = add_offer(actor=cast.reseller_admin, account=account, offer=offer, description="Q1")
    account.refresh_from_db()
    assert (purchase.state, account.balance) == (PurchaseState.CREDITED_UNPAID, 100)
    record_payment(actor=cast.reseller_admin, purchase=purchase)
    account.refresh_from_db()
    assert account.balance == 100


def test_only_the_issuers_offers_can_be_added(cast):
    foreign = save_offer(
        actor=cast.reseller2_admin,
        offer=UnitOffer(issuer=cast.reseller2, name="Other", units=10, price=1),
    )
    with pytest.raises(ValidationError) as refused:
        add_offer(
            actor=cast.reseller_admin,
            account=account_for(cast.customer),
            offer=foreign,
            description="",
        )
    assert "offer" in refused.value.error_dict
    with pytest.raises(PermissionDenied):
        save_offer(
            actor=cast.customer_admin,
            offer=UnitOffer(issuer=cast.customer, name="Mine", units=10, price=1),
        )


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_credits_and_debits_end_with_the_exact_balance():
    cast = build_cast()
    account = account_for(cast.customer)
    credit(actor=SYSTEM, account=account, units=1000, description="Opening")

    def write(index: int):
        own = BillingAccount.objects.get(pk=account.pk)
        action = credit if index % 2 else debit
        return action(actor=SYSTEM, account=own, units=f"{index + 1}.25", description=f"n{index}")

    results = race([lambda i=i: write(i) for i in range(20)])
    assert [r for r in results if isinstance(r, Exception)] == []
    account.refresh_from_db()
    expected = Decimal(1000) + sum(
        (Decimal(f"{i + 1}.25") * (1 if i % 2 else -1) for i in range(20)), Decimal(0)
    )
    assert account.transactions.count() == 21
    assert account.balance == expected == account.transactions.total()
    # Each row's balance_after chains: the writers really were serialised.
    running = Decimal(0)
    for row in account.transactions.order_by("pk"):
        running += row.signed_amount
        assert row.balance_after == running


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_refuses_to_change_or_delete_a_ledger_row_behind_the_model(cast):
    account = account_for(cast.customer)
    row = credit(actor=cast.reseller_admin, account=account, units=5, description="x")
    for sql in (
        "UPDATE billing_transaction SET amount = 500 WHERE id = %s",
        "UPDATE billing_transaction SET description = 'edited' WHERE id = %s",
        "DELETE FROM billing_transaction WHERE id = %s",
    ):
        refused = pytest.raises(DatabaseError, match="ledger rows are never")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [row.pk])
    # What a deletion elsewhere sets to NULL may still change: who acted is forgotten.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE billing_transaction SET actor_id = NULL WHERE id = %s", [row.pk])
    assert Transaction.objects.get(pk=row.pk).amount == Decimal("5.00")
