from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvisioningConfig(AppConfig):
    name = "provisioning"
    verbose_name = _("Provisioning")

    def ready(self) -> None:
        # Job plans and the built-in service drivers register themselves (drivers also
        # their names, for the catalogue form) when their modules load.
        from core.registry import CustomerTab, register_customer_tab
        from provisioning.drivers import builtin  # noqa: F401
        from provisioning.job_plans import (  # noqa: F401
            adoption,
            organisation,
            quarantine,
            reconcile,
            subscriptions,
            users,
        )

        # The customer page's Information tab lives here, beside the directory objects it
        # lists; customers shows it without importing provisioning.
        register_customer_tab(
            CustomerTab(
                "information",
                _("Information"),
                "provisioning:customer_information",
                "view_organisation",
            )
        )
