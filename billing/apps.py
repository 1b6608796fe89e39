from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from billing.actions.admission import admit
        from billing.filters import LIST_EXTENSION
        from core.registry import (
            CustomerTab,
            register_admission_check,
            register_customer_tab,
            register_list_extension,
        )

        # customers asks before it adds users, services or seats, and shows these tabs; it
        # never imports billing.
        register_admission_check("billing.cutoff", admit)
        register_customer_tab(
            CustomerTab("billing", _("Billing"), "billing:account", "view_billing")
        )
        register_list_extension(LIST_EXTENSION)
        register_customer_tab(CustomerTab("units", _("Units"), "billing:units", "view_billing"))
        register_customer_tab(
            CustomerTab("invoices", _("Invoices"), "billing:invoices", "view_billing")
        )
        register_customer_tab(
            CustomerTab("reports", _("Reports"), "billing:report_usage", "view_billing")
        )
