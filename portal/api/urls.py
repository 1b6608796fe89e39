"""/api/v1/ (every app's ``api/urls.py`` in one "api" namespace), the OpenAPI document and
its interactive page."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from customers.api.urls import urlpatterns as customer_patterns
from portal.api.views import api_docs
from provisioning.api.urls import urlpatterns as provisioning_patterns

urlpatterns = [
    path("api/v1/", include(([*customer_patterns, *provisioning_patterns], "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", api_docs, name="api_docs"),
]
