"""The directory's health check for the load balancer's probe (portal.health serves it).

It lives here because only provisioning talks to the directory. It binds with the
configured credentials on a fresh connection and reads the base DN, within
``HEALTH_DIRECTORY_TIMEOUT`` seconds. What it reports is a short, fixed phrase; the
directory's own message (which names the server and the bind account) reaches only the log,
as the cause in django-health-check's warning.
"""

from __future__ import annotations

import dataclasses
import datetime

from django.conf import settings
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from directory import AuthenticationError, DirectoryError, TransientDirectoryError, probe
from provisioning.engine.connection import DirectoryNotConfigured, directory_config


@dataclasses.dataclass
class Directory(HealthCheck):
    """Bind and read the base DN; unhealthy when that fails or takes too long."""

    timeout: datetime.timedelta = dataclasses.field(
        default_factory=lambda: datetime.timedelta(seconds=settings.HEALTH_DIRECTORY_TIMEOUT),
        repr=False,
    )

    def run(self) -> None:
        try:
            probe(directory_config(), self.timeout.total_seconds())
        except DirectoryNotConfigured as exc:
            raise ServiceUnavailable("Not configured") from exc
        except AuthenticationError as exc:
            raise ServiceUnavailable("Bind refused") from exc
        except TransientDirectoryError as exc:
            raise ServiceUnavailable("Unreachable") from exc
        except DirectoryError as exc:
            raise ServiceUnavailable("Unexpected answer") from exc
