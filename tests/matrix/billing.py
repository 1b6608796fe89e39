"""Matrix rows for the billing app: the customer page's Billing and Units tabs, the ledger
export, payments and a reseller's Unit offers.

An account is changed by the admins above the customer (``manage_billing`` one level up):
its own admins see it (the export is 200) but a change is a 403; a sibling reseller gets 404.
"""

from __future__ import annotations

from tests.fixtures.billing import awaiting_purchase, customer_account, reseller_offer
from tests.fixtures.invoices import billed_customer, credit_note, issued_invoice
from tests.matrix.shapes import DECIDES_CUSTOMER_ONE, Row, as_post, expect


def _account_state(cast):
    from billing.models import BillingAccount, Transaction

    return (
        list(
            BillingAccount.objects.filter(organisation=cast.customer).values_list(
                "balance", "cutoff_balance", "credit_customer"
            )
        ),
        Transaction.objects.filter(account__organisation=cast.customer).count(),
    )


def _purchase_state(cast):
    return awaiting_purchase(cast).__class__.objects.get(pk=awaiting_purchase(cast).pk).state


def _invoices_state(cast):
    from billing.models import CreditNote, Invoice, Payment

    return (
        Payment.objects.count(),
        CreditNote.objects.count(),
        list(Invoice.objects.values_list("pk", "status", "total")),
    )


def _offer_state(cast):
    offer = reseller_offer(cast)
    offer.refresh_from_db()
    return (offer.name, offer.units)


# Who sees Customer One's billing (view_billing): its admins and those above; not help desk.
SEES_CUSTOMER_ONE_BILLING = expect(200, reseller2_admin=404, end_user=404, help_desk=403)
# Who keeps Reseller One's unit offers (manage_billing on it): its admins and the provider's.
KEEPS_RESELLER_ONE_OFFERS = expect(
    200, reseller2_admin=404, customer_admin=404, help_desk=404, end_user=404
)

ROWS = {
    "billing:account": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        data=lambda cast: {
            "billing_mode": "prepaid",
            "currency": "EUR",
            "cutoff_balance": "5",
            "credit_customer": "on",
        },
        statuses=as_post(DECIDES_CUSTOMER_ONE),
        unchanged=_account_state,
    ),
    "billing:units": Row(
        method="post",
        args=lambda cast: [cast.customer.pk],
        data=lambda cast: {
            "form": "adjust",
            "adjust-description": "Matrix credit",
            "adjust-transaction_type": "credit",
            "adjust-units": "10",
        },
        statuses=as_post(DECIDES_CUSTOMER_ONE),
        unchanged=_account_state,
    ),
    "billing:ledger_export": Row(
        args=lambda cast: [customer_account(cast).organisation_id],
        statuses=SEES_CUSTOMER_ONE_BILLING,
    ),
    "billing:purchase_paid": Row(
        method="post",
        args=lambda cast: [cast.customer.pk, awaiting_purchase(cast).pk],
        statuses=as_post(DECIDES_CUSTOMER_ONE),
        unchanged=_purchase_state,
    ),
    "billing:offers": Row(args=lambda cast: [cast.reseller.pk], statuses=KEEPS_RESELLER_ONE_OFFERS),
    "billing:offer_edit": Row(
        method="post",
        args=lambda cast: [cast.reseller.pk, reseller_offer(cast).pk],
        data=lambda cast: {"name": "Renamed", "units": "10", "price": "1", "is_active": "on"},
        statuses=as_post(KEEPS_RESELLER_ONE_OFFERS),
        unchanged=_offer_state,
    ),
    # Postpaid: Customer One's invoices (its admins see and download them; the admins above
    # it record payments and credit notes), Reseller One's drafts and run.
    "billing:invoices": Row(
        args=lambda cast: [issued_invoice(cast).customer_id], statuses=SEES_CUSTOMER_ONE_BILLING
    ),
    "billing:invoices POST": Row(
        method="post",
        args=lambda cast: [issued_invoice(cast).customer_id],
        data=lambda cast: {
            "form": "payment",
            "payment-amount": "10.00",
            "payment-received_on": "2026-12-01",
            "payment-method": "transfer",
        },
        statuses=as_post(DECIDES_CUSTOMER_ONE),
        unchanged=_invoices_state,
    ),
    "billing:invoice": Row(
        args=lambda cast: [cast.customer.pk, issued_invoice(cast).pk],
        statuses=SEES_CUSTOMER_ONE_BILLING,
    ),
    "billing:invoice POST": Row(
        method="post",
        args=lambda cast: [cast.customer.pk, issued_invoice(cast).pk],
        data=lambda cast: {
            "form": "credit",
            "credit-reason": "Matrix",
            "credit-line": str(issued_invoice(cast).lines.get().pk),
            "credit-amount": "1.00",
        },
        statuses=as_post(DECIDES_CUSTOMER_ONE),
        unchanged=_invoices_state,
    ),
    "billing:invoice_pdf": Row(
        args=lambda cast: [cast.customer.pk, issued_invoice(cast).pk],
        statuses=SEES_CUSTOMER_ONE_BILLING,
    ),
    "billing:credit_note_pdf": Row(
        args=lambda cast: [cast.customer.pk, credit_note(cast).pk],
        statuses=SEES_CUSTOMER_ONE_BILLING,
    ),
    "billing:drafts": Row(
        args=lambda cast: [billed_customer(cast).organisation.parent_id],
        statuses=KEEPS_RESELLER_ONE_OFFERS,
    ),
    "billing:drafts POST": Row(
        method="post",
        args=lambda cast: [billed_customer(cast).organisation.parent_id],
        data=lambda cast: {"form": "run", "run-period": "2026-11"},
        statuses=as_post(KEEPS_RESELLER_ONE_OFFERS),
        unchanged=_invoices_state,
    ),
    "billing:statement": Row(
        args=lambda cast: [issued_invoice(cast).customer_id], statuses=SEES_CUSTOMER_ONE_BILLING
    ),
    "billing:statement_pdf": Row(
        args=lambda cast: [issued_invoice(cast).customer_id], statuses=SEES_CUSTOMER_ONE_BILLING
    ),
    # The issuer's money reports (Reseller One's own business).
    "billing:report_receivables": Row(
        args=lambda cast: [issued_invoice(cast).issuer_id], statuses=KEEPS_RESELLER_ONE_OFFERS
    ),
    "billing:report_revenue": Row(
        args=lambda cast: [issued_invoice(cast).issuer_id], statuses=KEEPS_RESELLER_ONE_OFFERS
    ),
    "billing:report_journal": Row(
        args=lambda cast: [issued_invoice(cast).issuer_id],
        query="?period=2026-12&format=csv",
        statuses=KEEPS_RESELLER_ONE_OFFERS,
    ),
}
