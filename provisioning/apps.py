from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "provisioning"
    verbose_name = "Provisioning"

    def ready(self) -> None:
        # Job plans and the built-in service drivers register themselves (drivers also
        # their names, for the catalogue form) when their modules load.
        from provisioning.drivers import builtin  # noqa: F401
        from provisioning.job_plans import (  # noqa: F401
            adoption,
            organisation,
            quarantine,
            reconcile,
            subscriptions,
            users,
        )
