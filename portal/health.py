"""``/health/``: the load balancer's probe (django-health-check).

It checks what a request or a job needs: the database, Redis (when the broker is Redis),
the Celery broker, and the directory when one is configured. Anonymous callers (the load
balancer) get the status alone: 200 ``{"status": "ok"}`` or 503 ``{"status":
"unhealthy"}``; staff also see which check failed, in a short fixed phrase. Nothing names a
host, an account or a version. The probe needs no session and no sign-in, so sign-in
throttling never sees it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime

from asgiref.sync import sync_to_async
from celery import current_app
from django.conf import settings
from django.http import JsonResponse
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from redis.asyncio import Redis as RedisClient

from provisioning.engine.connection import directory_connected
from provisioning.health import Directory


@dataclasses.dataclass
class Broker(HealthCheck):
    """Connect to the Celery broker (whatever its transport) the way ``request_job`` does."""

    timeout: datetime.timedelta = dataclasses.field(
        default_factory=lambda: datetime.timedelta(seconds=settings.HEALTH_CHECK_TIMEOUT),
        repr=False,
    )

    def run(self) -> None:
        seconds = self.timeout.total_seconds()
        try:
            # The URL from settings (which is where the app's comes from) so that a test's
            # override reaches it; the transport options are the app's own.
            with current_app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, timeout=seconds)
        except Exception as exc:  # kombu raises its own, redis's and socket errors alike
            raise ServiceUnavailable("Unreachable") from exc


def _redis_client() -> RedisClient:
    seconds = settings.HEALTH_CHECK_TIMEOUT
    return RedisClient.from_url(
        settings.CELERY_BROKER_URL, socket_timeout=seconds, socket_connect_timeout=seconds
    )


def checks() -> list[HealthCheck]:
    """The checks for this configuration, read at each probe (tests override settings)."""
    found: list[HealthCheck] = [Database()]
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        found.append(Redis(client_factory=_redis_client))
    found.append(Broker())
    if directory_connected():
        found.append(Directory())
    return found


# The label staff see for each check (never its repr, which may name a host).
NAMES = {Database: "database", Redis: "redis", Broker: "broker", Directory: "directory"}


def _is_staff(request) -> bool:
    # Django's own request.user (the portal's backend checks the organisation's status,
    # which is a query: not for the event loop).
    return request.user.is_active and request.user.is_staff


class HealthView(HealthCheckView):
    async def get(self, request, *args, **kwargs):
        with self.get_executor() as executor:
            results = await asyncio.gather(*(check.get_result(executor) for check in checks()))
        healthy = not any(result.error for result in results)
        body: dict[str, object] = {"status": "ok" if healthy else "unhealthy"}
        if await sync_to_async(_is_staff)(request):
            body["checks"] = {
                NAMES[type(result.check)]: str(result.error) if result.error else "ok"
                for result in results
            }
        return JsonResponse(body, status=200 if healthy else 503)
