"""Django admin for provider superusers: billing rows to look at. Balances and the ledger
change only through billing.actions, so the admin shows them read-only."""

from django.contrib import admin

from billing.models import (
    BillingAccount,
    BillingSettings,
    CreditQuota,
    LicenceReminder,
    Purchase,
    StorageRegion,
    Transaction,
    UnitOffer,
    UsageSnapshot,
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
