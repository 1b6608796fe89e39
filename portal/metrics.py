"""``/metrics``: Prometheus's scrape (django-prometheus for requests, the engine's own).

Closed unless configured: a scrape must bring ``Authorization: Bearer <METRICS_TOKEN>`` or
come from an address in ``METRICS_ALLOWED_IPS`` (the client's address as the sign-in
throttle reads it, behind ``TRUSTED_PROXY_COUNT`` proxies). Anyone else gets 403, as does
everyone when neither is set. Metric names and labels name job kinds, views and states,
never a customer or a user.

With ``PROMETHEUS_MULTIPROC_DIR`` set, the scrape adds up the files every process wrote
there (gunicorn's workers and Celery's), so one scrape of the web sees the workers' job
metrics; without it (the laptop run, tests) it reports this process alone.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from portal.throttling import client_ip
from provisioning.engine.metrics import QueueDepthCollector


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode()):
            return True
    if settings.METRICS_ALLOWED_IPS:
        address = client_ip(request)
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for network in settings.METRICS_ALLOWED_IPS)
    return False


class _ThisProcess(Collector):
    """Everything this process registered (django-prometheus's and the engine's metrics)."""

    def collect(self):
        yield from REGISTRY.collect()


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(QueueDepthCollector())
    return registry


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponseForbidden()
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
