"""One billing rule (billing.visibility): the billing pages and the billing API give the same
person the same answer for the same document. A customer out of sight is a 404, one whose
billing the person may not read (help desk) a 403, a draft a 404 to anyone but the admins who
manage the customer's billing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import CreditNote, Payment
from customers.actions.api_keys import SCOPES
from customers.models import ApiKey
from customers.models.api_keys import digest
from tests.api.helpers import bearer
from tests.fixtures.billing import customer_account
from tests.fixtures.invoices import credit_note, draft_invoice, issued_invoice

pytestmark = pytest.mark.django_db

ROLES = ["reseller_admin", "customer_admin", "help_desk", "reseller2_admin", "end_user"]

# What each role (in the order of ROLES) gets for each of Customer One's documents, in the
# browser and the API alike.
EXPECTED = {
    "issued invoice": (200, 200, 403, 404, 404),
    "issued invoice's PDF": (200, 200, 403, 404, 404),
    "draft invoice": (200, 404, 403, 404, 404),
    "billing account": (200, 200, 403, 404, 404),
}


def _urls(cast, document: str) -> tuple[str, str]:
    """(the page's URL, the API's URL) of ``document``."""
    customer = cast.customer.pk
    if document == "issued invoice":
        pk = issued_invoice(cast).pk
        return reverse("billing:invoice", args=[customer, pk]), reverse(
            "api:invoice-detail", args=[pk]
        )
    if document == "issued invoice's PDF":
        pk = issued_invoice(cast).pk
        return reverse("billing:invoice_pdf", args=[customer, pk]), reverse(
            "api:invoice-pdf", args=[pk]
        )
    if document == "draft invoice":
        pk = draft_invoice(cast).pk
        return reverse("billing:invoice", args=[customer, pk]), reverse(
            "api:invoice-detail", args=[pk]
        )
    account = customer_account(cast)
    return reverse("billing:account", args=[customer]), reverse(
        "api:billing-account-detail", args=[account.pk]
    )


def api_client(owner):
    """A key of ``owner`` with every scope on their own organisation, made as the matrix makes
    it (an end user may not make one, but what a key may do is bounded by its owner alone)."""
    prefix, secret, plain = ApiKey.new_secret()
    ApiKey.objects.create(
        owner=owner,
        name="visibility",
        organisation=owner.organisation,
        scopes=list(SCOPES),
        prefix=prefix,
        digest=digest(secret),
        expires_at=timezone.now() + timedelta(days=1),
    )
    return bearer(plain)


@pytest.mark.parametrize("document", sorted(EXPECTED))
def test_the_page_and_the_api_give_each_person_the_same_answer(cast, login, document):
    page, endpoint = _urls(cast, document)
    answers = {
        role: (
            login(getattr(cast, role)).get(page).status_code,
            api_client(getattr(cast, role)).get(endpoint).status_code,
        )
        for role in ROLES
    }
    expected = dict(zip(ROLES, EXPECTED[document], strict=True))
    assert answers == {role: (status, status) for role, status in expected.items()}


@pytest.mark.parametrize("role", ROLES)
def test_the_api_lists_the_invoices_the_invoices_tab_shows(cast, login, role):
    """Lists never answer 403: the help desk's list is empty, as its tab is closed to it."""
    draft_invoice(cast)  # the reseller's admins see it; the customer's own do not
    user = getattr(cast, role)
    tab = login(user).get(reverse("billing:invoices", args=[cast.customer.pk]))
    on_the_tab = [i.pk for i in tab.context["invoices"]] if tab.status_code == 200 else []
    listed = api_client(user).get(reverse("api:invoice-list"), {"customer": cast.customer.pk})
    assert sorted(r["id"] for r in listed.json()["results"]) == sorted(on_the_tab)
    assert bool(on_the_tab) == (role == "reseller_admin")


def test_a_credit_note_pdf_follows_the_same_rule(cast, login):
    note = credit_note(cast)
    url = reverse("billing:credit_note_pdf", args=[cast.customer.pk, note.pk])
    assert login(cast.customer_admin).get(url).status_code == 200
    assert login(cast.help_desk).get(url).status_code == 403
    assert login(cast.reseller2_admin).get(url).status_code == 404


# Who may record a payment and credit an invoice (the page's forms, the API's POSTs).
WRITES = dict(zip(ROLES, (None, 403, 403, 404, 404), strict=True))


@pytest.mark.parametrize("role", [role for role, status in WRITES.items() if status])
def test_the_page_and_the_api_refuse_billing_writes_alike(cast, login, role):
    invoice = issued_invoice(cast)
    user = getattr(cast, role)
    page = login(user)
    key = api_client(user)
    credit_page = page.post(
        reverse("billing:invoice", args=[cast.customer.pk, invoice.pk]),
        {"form": "credit", "credit-reason": "Refused"},
    )
    credit_api = key.post(
        reverse("api:invoice-credit-notes", args=[invoice.pk]),
        json.dumps({"reason": "Refused"}),
        content_type="application/json",
    )
    payment = {"amount": "1.00", "received_on": "2026-12-01", "method": "transfer"}
    pay_page = page.post(
        reverse("billing:invoices", args=[cast.customer.pk]),
        {"form": "payment", **{f"payment-{k}": v for k, v in payment.items()}},
    )
    pay_api = key.post(
        reverse("api:payment-list"),
        json.dumps({"customer": cast.customer.pk, **payment}),
        content_type="application/json",
    )
    statuses = [r.status_code for r in (credit_page, credit_api, pay_page, pay_api)]
    assert statuses == [WRITES[role]] * 4
    assert not Payment.objects.exists() and not CreditNote.objects.exists()
