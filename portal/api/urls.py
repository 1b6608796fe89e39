"""/api/v1/ (every app's ``api/urls.py`` in one "api" namespace), the OpenAPI document and
its interactive page."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from billing.api.urls import urlpatterns as billing_patterns
from customers.api.urls import urlpatterns as customer_patterns
from portal.api.views import api_docs, api_not_found
from provisioning.api.urls import urlpatterns as provisioning_patterns

urlpatterns = [
    path(
        "api/v1/", include(([*customer_patterns, *provisioning_patterns, *billing_patterns], "api"))
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", api_docs, name="api_docs"),
    # Anything else under /api/ (a misspelt path, an id the URL's converter refuses) is a JSON
    # 404 for the program, not the portal's HTML page.
    re_path(r"^api/", api_not_found),
]
