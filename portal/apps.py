from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        # Connects the sign-in receivers (the security log, the list of sessions).
        from portal import signals  # noqa: F401
