from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvisioningConfig(AppConfig):
    name = "provisioning"
    verbose_name = _("Provisioning")

    def ready(self) -> None:
        # Job plans and the built-in service drivers register themselves (drivers also
        # their names, for the catalogue form) when their modules load.
        from provisioning.drivers import builtin  # noqa: F401
        from provisioning.job_plans import (  # noqa: F401
            organisation,
            quarantine,
            reconcile,
            subscriptions,
            users,
        )
