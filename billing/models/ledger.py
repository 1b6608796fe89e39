"""The ledger: every change of a balance, append-only.

A row is never updated or deleted (``save`` and ``delete`` refuse); a mistake is put right
by another row. ``BillingAccount.balance`` is always the sum of an account's rows: both are
written together by ``billing.actions.ledger.post`` under the account's row lock.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Sum, When
from django.utils.translation import gettext_lazy as _

from billing.models.account import UNITS, ZERO
from core.scoping import ScopedQuerySet


class TransactionType(models.TextChoices):
    CREDIT = "credit", _("Credit")
    DEBIT = "debit", _("Debit")


class Cause(models.TextChoices):
    OFFER = "offer", _("Offer")
    MANUAL = "manual", _("Manual")
    DAILY_USAGE = "daily_usage", _("Daily usage")
    INVOICE = "invoice", _("Invoice")


class AppendOnly(Exception):
    pass


class TransactionQuerySet(ScopedQuerySet):
    def total(self):
        """Credits minus debits of these rows (what the balance must be)."""
        signed = Case(
            When(transaction_type=TransactionType.DEBIT, then=-F("amount")),
            default=F("amount"),
        )
        return self.aggregate(total=Sum(signed))["total"] or ZERO

    def update(self, **kwargs):
        raise AppendOnly("Ledger rows are never changed.")

    def delete(self):
        raise AppendOnly("Ledger rows are never deleted.")


class Transaction(models.Model):
    account = models.ForeignKey(
        "billing.BillingAccount", on_delete=models.PROTECT, related_name="transactions"
    )
    transaction_type = models.CharField(
        _("Transaction Type"), max_length=6, choices=TransactionType.choices
    )
    amount = models.DecimalField(_("Units"), **UNITS)
    description = models.CharField(_("Description"), max_length=300)
    cause = models.CharField(_("Cause"), max_length=12, choices=Cause.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("By"),
    )
    created = models.DateTimeField(_("Time"), auto_now_add=True, db_index=True)
    balance_after = models.DecimalField(_("Balance after"), **UNITS)
    offer = models.ForeignKey(
        "billing.UnitOffer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Daily usage: one debit per (subscription, day), whatever runs twice.
    subscription = models.ForeignKey(
        "customers.CustomerService",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    usage_day = models.DateField(null=True, blank=True)

    objects = TransactionQuerySet.as_manager()
    scope_path = "account__organisation__"
    scope_permissions = {"view": "view_billing", "change": "manage_billing"}

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["account", "-created"], name="ledger_account_time")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
            models.UniqueConstraint(
                fields=["subscription", "usage_day"],
                condition=Q(cause="daily_usage"),
                name="ledger_one_daily_debit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_transaction_type_display()} {self.amount}: {self.description}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Ledger rows are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Ledger rows are never deleted.")

    @property
    def signed_amount(self):
        return -self.amount if self.transaction_type == TransactionType.DEBIT else self.amount
