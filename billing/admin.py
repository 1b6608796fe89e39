"""Django admin for provider superusers: billing rows to look at. Balances and the ledger
change only through billing.actions, so the admin shows them read-only."""

from django.contrib import admin

from billing.models import (
    BillingAccount,
    BillingSettings,
    CreditNote,
    CreditNoteLine,
    CreditQuota,
    DocumentSequence,
    Invoice,
    InvoiceLine,
    LicenceReminder,
    Payment,
    PaymentAllocation,
    Purchase,
    ReportSubscription,
    StorageRegion,
    Transaction,
    UnitOffer,
    UsageRollup,
    UsageSnapshot,
    VatRate,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BillingAccount)
class BillingAccountAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "balance", "billing_mode", "cutoff_balance", "currency"]
    list_filter = ["billing_mode", "credit_customer"]
    search_fields = ["organisation__name", "organisation__code"]


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["created", "account", "transaction_type", "amount", "cause", "description"]
    list_filter = ["transaction_type", "cause"]
    list_select_related = ["account__organisation"]


@admin.register(UnitOffer)
class UnitOfferAdmin(ReadOnlyAdmin):
    list_display = ["name", "issuer", "units", "price", "is_active"]


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = ["created", "account", "offer", "units", "state"]
    list_select_related = ["account__organisation", "offer"]


@admin.register(UsageSnapshot)
class UsageSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["day", "subscription", "organisation", "seats", "units"]
    list_select_related = ["subscription__service", "organisation"]


@admin.register(CreditQuota)
class CreditQuotaAdmin(ReadOnlyAdmin):
    list_display = ["account", "amount", "effective_date", "end_date"]


@admin.register(LicenceReminder)
class LicenceReminderAdmin(ReadOnlyAdmin):
    list_display = ["account", "expiry_date", "days_before", "sent"]


@admin.register(BillingSettings)
class BillingSettingsAdmin(ReadOnlyAdmin):
    list_display = ["provider", "cutoff_action", "cutoff_grace_days", "expiry_action"]


@admin.register(StorageRegion)
class StorageRegionAdmin(ReadOnlyAdmin):
    list_display = ["name", "provider"]


@admin.register(VatRate)
class VatRateAdmin(admin.ModelAdmin):
    """The VAT rate table the provider keeps: a new rate is a new row from its date on (rows
    of the past stay, so old invoices can be checked against them)."""

    list_display = ["country", "rate", "valid_from"]
    list_filter = ["country"]
    ordering = ["country", "-valid_from"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "customer", "issuer", "period_start", "status", "total", "currency"]
    list_filter = ["status", "tax_treatment"]
    list_select_related = ["customer", "issuer"]
    search_fields = ["number", "customer__name", "customer__code"]


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ["number", "invoice", "customer", "issued_on", "total", "reason"]
    list_select_related = ["invoice", "customer"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["received_on", "customer", "amount", "currency", "method", "reference"]
    list_select_related = ["customer"]


@admin.register(InvoiceLine)
class InvoiceLineAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "position", "description", "net", "vat_rate", "vat"]
    list_select_related = ["invoice"]


@admin.register(CreditNoteLine)
class CreditNoteLineAdmin(ReadOnlyAdmin):
    list_display = ["credit_note", "description", "net", "vat"]
    list_select_related = ["credit_note"]


@admin.register(DocumentSequence)
class DocumentSequenceAdmin(ReadOnlyAdmin):
    list_display = ["issuer", "kind", "year", "next_number"]
    list_select_related = ["issuer"]


@admin.register(PaymentAllocation)
class PaymentAllocationAdmin(ReadOnlyAdmin):
    list_display = ["payment", "invoice", "amount"]
    list_select_related = ["payment", "invoice"]


@admin.register(UsageRollup)
class UsageRollupAdmin(ReadOnlyAdmin):
    pass


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(ReadOnlyAdmin):
    pass
