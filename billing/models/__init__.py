"""Accounts that pay: a billing account per organisation, the offers an issuer sells, the
append-only ledger of units and the purchases waiting for payment."""

from billing.models.account import BillingAccount, BillingMode
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
from billing.models.reports import FileFormat, ReportKind, ReportSubscription, UsageRollup
from billing.models.usage import UsageSnapshot

__all__ = [
    "BillingAccount",
    "BillingMode",
    "BillingSettings",
    "Cause",
    "CreditQuota",
    "CutoffAction",
    "ExpiryAction",
    "FileFormat",
    "LicenceReminder",
    "Purchase",
    "PurchaseState",
    "ReportKind",
    "ReportSubscription",
    "StorageRegion",
    "Transaction",
    "TransactionType",
    "UnitOffer",
    "UsageRollup",
    "UsageSnapshot",
]
