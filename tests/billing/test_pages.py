"""The Billing and Units tabs, the ledger export and Unit offers, through the pages."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.actions.accounts import account_for, update_profile
from billing.actions.ledger import credit, debit
from billing.actions.provider import settings_for
from billing.actions.quotas import set_credit_quota
from billing.models import BillingSettings, Transaction, UnitOffer
from core.actors import SYSTEM
from tests.customers.users.test_user_admin import create_form
from tests.fixtures.billing import reseller_offer

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
QUERIES_BILLING_TAB = 15


def test_the_parents_admin_sees_the_profile_form_and_saves_it(cast, login):
    client = login(cast.reseller_admin)
    url = reverse("billing:account", args=[cast.customer.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b'id="billing-profile"' in page.content and b"<form" in page.content
    assert b"Unit Warn Level" in page.content and b"Credit customer" in page.content
    response = client.post(
        url,
        {
            "billing_mode": "prepaid",
            "currency": "eur",
            "unit_warn_level": "20",
            "cutoff_balance": "5",
            "tax_country": "DE",
            "vat_number": "136695976",
        },
    )
    assert response.status_code == 302
    account = account_for(cast.customer)
    assert (account.vat_number, account.currency, account.cutoff_balance) == (
        "DE136695976",
        "EUR",
        Decimal("5"),
    )


def test_payment_terms_are_edited_on_the_profile_and_default_to_the_providers(cast, login):
    BillingSettings.objects.create(provider=cast.provider, payment_terms_days=45)
    client = login(cast.reseller_admin)
    url = reverse("billing:account", args=[cast.customer.pk])
    page = client.get(url)
    assert b"Payment terms (days)" in page.content
    assert b"the provider&#x27;s default (45 days)" in page.content
    profile = {"billing_mode": "postpaid", "currency": "EUR", "tax_country": "DE"}
    assert client.post(url, {**profile, "payment_terms_days": "14"}).status_code == 302
    assert account_for(cast.customer).payment_terms_days == 14
    assert client.post(url, {**profile, "payment_terms_days": ""}).status_code == 302
    assert account_for(cast.customer).payment_terms_days is None
    refused = client.post(url, {**profile, "payment_terms_days": "400"})
    assert "payment_terms_days" in refused.context["form"].errors


def test_profile_errors_are_on_their_fields(cast, login):
    response = login(cast.reseller_admin).post(
        reverse("billing:account", args=[cast.customer.pk]),
        {
            "billing_mode": "prepaid",
            "currency": "EUR",
            "tax_country": "DE",
            "vat_number": "DE123456789",
            "unit_warn_level": "1",
            "cutoff_balance": "5",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "vat_number" in form.errors and "unit_warn_level" in form.errors
    assert not form.non_field_errors()


def test_the_billing_tab_keeps_its_query_count(cast, login, django_assert_num_queries):
    account = account_for(cast.customer)
    set_credit_quota(actor=SYSTEM, account=account, amount=5, effective_date=TODAY, end_date=TODAY)
    client = login(cast.reseller_admin)
    url = reverse("billing:account", args=[cast.customer.pk])
    client.get(url)  # warm the session
    # Session, user, the session's row (an ended session signs out), the user's organisation
    # (with the banner's question), scope, the
    # customer, its account, its provider, its provider's settings (the default payment
    # terms), today's quota, its consumption, the quota history,
    # the breadcrumb's ancestors, the offers and the storage regions for the form.
    with django_assert_num_queries(QUERIES_BILLING_TAB):
        client.get(url)


def test_the_customers_own_admin_sees_the_profile_read_only_and_cannot_post(cast, login):
    client = login(cast.customer_admin)
    url = reverse("billing:account", args=[cast.customer.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert all(field.field.disabled for field in page.context["form"])
    assert b'<form method="post" novalidate class="canopy-width-40" id="billing-profile">' not in (
        page.content
    )
    assert client.post(url, {"billing_mode": "postpaid", "currency": "EUR"}).status_code == 403


def test_the_tabs_show_only_to_those_who_see_billing(cast, login):
    page = login(cast.customer_admin).get(reverse("customers:detail", args=[cast.customer.pk]))
    assert reverse("billing:units", args=[cast.customer.pk]).encode() in page.content
    page = login(cast.help_desk).get(reverse("customers:detail", args=[cast.customer.pk]))
    assert reverse("billing:units", args=[cast.customer.pk]).encode() not in page.content


def test_units_tab_credits_and_debits_and_shows_errors_on_the_fields(cast, login):
    client = login(cast.reseller_admin)
    url = reverse("billing:units", args=[cast.customer.pk])
    assert client.get(url).status_code == 200
    data = {
        "form": "adjust",
        "adjust-description": "Top-up",
        "adjust-transaction_type": "credit",
        "adjust-units": "50",
    }
    assert client.post(url, data).status_code == 302
    refused = client.post(url, {**data, "adjust-units": "0", "adjust-transaction_type": "x"})
    assert refused.status_code == 200
    assert set(refused.context["adjust_form"].errors) == {"units", "transaction_type"}
    account = account_for(cast.customer)
    assert account.balance == 50


def test_an_offer_added_on_the_units_tab_waits_for_its_payment(cast, login):
    offer = reseller_offer(cast)
    client = login(cast.reseller_admin)
    url = reverse("billing:units", args=[cast.customer.pk])
    response = client.post(url, {"form": "offer", "offer-offer": offer.pk, "offer-description": ""})
    assert response.status_code == 302
    page = client.get(url)
    (purchase,) = page.context["purchases"]
    assert b"Record payment" in page.content
    client.post(
        reverse("billing:purchase_paid", args=[cast.customer.pk, purchase.pk]),
        {"payment-reference": "bank 7"},
    )
    assert account_for(cast.customer).balance == 100


def test_a_foreign_offer_is_an_error_on_the_drop_down(cast, login):
    foreign = UnitOffer.objects.create(issuer=cast.reseller2, name="Other", units=5, price=1)
    response = login(cast.reseller_admin).post(
        reverse("billing:units", args=[cast.customer.pk]),
        {"form": "offer", "offer-offer": foreign.pk},
    )
    assert response.status_code == 200
    assert "offer" in response.context["offer_form"].errors


def test_the_ledger_is_paginated_sorted_and_exported(cast, login, django_assert_num_queries):
    account = account_for(cast.customer)
    for n in range(60):
        credit(actor=SYSTEM, account=account, units=n + 1, description=f"row {n}")
    debit(actor=SYSTEM, account=account, units=1, description="=cmd|' /C calc'!A0")
    client = login(cast.customer_admin)
    url = reverse("billing:units", args=[cast.customer.pk])
    client.get(url)  # warm the session and the scope
    with django_assert_num_queries(11):
        page = client.get(url + "?sort=-amount")
    rows = list(page.context["page"])
    assert len(rows) == 50
    assert rows[0].amount == 60
    assert page.context["page"].paginator.num_pages == 2
    assert "offer_form" not in page.context or page.context["offer_form"] is None
    export = client.get(reverse("billing:ledger_export", args=[cast.customer.pk]))
    assert export.status_code == 200
    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert lines[0][:3] == ["Time", "Transaction Type", "Units"]
    assert len(lines) == 62
    assert lines[1][5].startswith("'=")  # a formula in a description is not run
    assert (
        Decimal(lines[1][3])
        == account.transactions.total()
        == Transaction.objects.filter(account=account).total()
    )


def test_unit_offers_page_for_the_reseller(cast, login):
    client = login(cast.reseller_admin)
    url = reverse("billing:offers", args=[cast.reseller.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "Starter", "units": "50", "price": "40"}).status_code == 302
    duplicate = client.post(url, {"name": "starter", "units": "50", "price": "40"})
    assert "name" in duplicate.context["form"].errors
    invalid = client.post(url, {"name": "Bad", "units": "0", "price": "-1"})
    assert set(invalid.context["form"].errors) == {"units", "price"}
    assert login(cast.customer_admin).get(url).status_code == 404
    customer_page = reverse("billing:offers", args=[cast.customer.pk])
    assert client.get(customer_page).status_code == 404


def test_the_cutoff_refusal_is_shown_on_the_add_user_form(cast, login):
    account = account_for(cast.customer)
    update_profile(actor=SYSTEM, account=account, changes={"cutoff_balance": 0})
    response = login(cast.customer_admin).post(
        reverse("users:create", args=[cast.customer.pk]), create_form(cast, services=[])
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "0.00" in errors and "cutoff balance of 0" in errors
    assert b"cutoff balance" in response.content


def test_the_billing_tab_sets_a_quota_and_shows_its_history_and_use(cast, login):
    client = login(cast.reseller_admin)
    url = reverse("billing:account", args=[cast.customer.pk])
    today = timezone.localdate()
    bad = client.post(
        url,
        {
            "form": "quota",
            "quota-amount": "100",
            "quota-effective_date": today.isoformat(),
            "quota-end_date": (today - datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert "end_date" in bad.context["quota_form"].errors
    good = client.post(
        url,
        {
            "form": "quota",
            "quota-amount": "100",
            "quota-effective_date": today.isoformat(),
            "quota-end_date": today.isoformat(),
        },
    )
    assert good.status_code == 302
    debit(actor=SYSTEM, account=account_for(cast.customer), units=85, description="Use")
    page = login(cast.customer_admin).get(url)
    assert b"85.00 of 100.00 units consumed" in page.content
    assert b"80% of the credit quota is used." in page.content
    assert b'id="quota-history"' in page.content and b'id="set-quota"' not in page.content


def test_only_the_providers_admin_sees_and_saves_the_provider_settings(cast, login):
    url = reverse("billing:account", args=[cast.provider.pk])
    client = login(cast.provider_admin)
    assert b"provider-billing-settings" in client.get(url).content
    response = client.post(
        url,
        {
            "form": "settings",
            "settings-cutoff_action": "suspend",
            "settings-cutoff_grace_days": "2",
            "settings-expiry_action": "block_users",
            "settings-payment_terms_days": "21",
            "settings-regions": "EU West\n\nUS East\n",
        },
    )
    assert response.status_code == 302
    assert sorted(cast.provider.storage_regions.values_list("name", flat=True)) == [
        "EU West",
        "US East",
    ]
    assert settings_for(cast.customer).expiry_action == "block_users"
    assert settings_for(cast.customer).payment_terms_days == 21
    reseller_page = reverse("billing:account", args=[cast.reseller.pk])
    refused = login(cast.reseller_admin).post(reseller_page, {"form": "settings"})
    assert refused.status_code == 403
