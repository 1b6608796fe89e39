from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import tracing


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Every log record from here on carries the request id, job id and user id.
        tracing.install()
