"""The portal's URLs plus views that fail on purpose, for the error page tests only."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from portal.urls import handler500
from portal.urls import urlpatterns as portal_urlpatterns

__all__ = ["handler500", "urlpatterns"]


def broken(request):
    raise RuntimeError("a bug that only the log may show")


def refused(request):
    raise PermissionDenied("You may not delete this organisation.")


urlpatterns = [
    path("test-only/broken/", broken),
    path("test-only/refused/", refused),
    *portal_urlpatterns,
]
