from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _
from simple_history.signals import pre_create_historical_record


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from customers.actions.acting import record_acting_actor
        from customers.actions.api_keys import attribute_to_key
        from customers.actions.builtins import ensure_builtins

        # Like Django's own permissions: re-created after migrate and after a flush.
        post_migrate.connect(ensure_builtins, sender=self, dispatch_uid="canopy_builtins")
        # A change made with an API key says so in history: "key <prefix> of <owner>".
        pre_create_historical_record.connect(attribute_to_key, dispatch_uid="canopy_api_key")
        # A change made while acting as someone says so: "A acting as B".
        pre_create_historical_record.connect(record_acting_actor, dispatch_uid="canopy_acting")
