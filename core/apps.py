from django.apps import AppConfig

from core import tracing


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Every log record from here on carries the request id, job id and user id.
        tracing.install()
