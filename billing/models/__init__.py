"""Accounts that pay: a billing account per organisation, the offers an issuer sells, the
append-only ledger of units and the purchases waiting for payment."""

from billing.models.account import (
    DEFAULT_PAYMENT_TERMS_DAYS,
    MAX_PAYMENT_TERMS_DAYS,
    BillingAccount,
    BillingMode,
)
from billing.models.invoices import (
    OPEN_STATUSES,
    CreditNote,
    CreditNoteLine,
    DocumentKind,
    DocumentSequence,
    Immutable,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    TaxTreatment,
    VatRate,
    money,
)
from billing.models.ledger import Cause, Transaction, TransactionType
from billing.models.offers import Purchase, PurchaseState, UnitOffer
from billing.models.quotas import (
    BillingSettings,
    CreditQuota,
    CutoffAction,
    ExpiryAction,
    LicenceReminder,
    StorageRegion,
)
from billing.models.reports import (
    FINANCE_REPORTS,
    FileFormat,
    ReportKind,
    ReportSubscription,
    UsageRollup,
)
from billing.models.usage import UsageSnapshot

__all__ = [
    "DEFAULT_PAYMENT_TERMS_DAYS",
    "FINANCE_REPORTS",
    "MAX_PAYMENT_TERMS_DAYS",
    "OPEN_STATUSES",
    "BillingAccount",
    "BillingMode",
    "BillingSettings",
    "Cause",
    "CreditNote",
    "CreditNoteLine",
    "CreditQuota",
    "CutoffAction",
    "DocumentKind",
    "DocumentSequence",
    "ExpiryAction",
    "FileFormat",
    "Immutable",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "LicenceReminder",
    "LineKind",
    "Payment",
    "PaymentAllocation",
    "PaymentMethod",
    "Purchase",
    "PurchaseState",
    "ReportKind",
    "ReportSubscription",
    "StorageRegion",
    "TaxTreatment",
    "Transaction",
    "TransactionType",
    "UnitOffer",
    "UsageRollup",
    "UsageSnapshot",
    "VatRate",
    "money",
]
