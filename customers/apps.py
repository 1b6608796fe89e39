from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from customers.actions.builtins import ensure_builtins

        # Like Django's own permissions: re-created after migrate and after a flush.
        post_migrate.connect(ensure_builtins, sender=self, dispatch_uid="canopy_builtins")
