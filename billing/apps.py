from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from billing.actions.admission import admit
        from core.registry import register_admission_check

        # customers asks before it adds users, services or seats; it never imports billing.
        register_admission_check("billing.cutoff", admit)
