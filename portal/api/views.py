"""The API's interactive page: Swagger UI from static/ (drf-spectacular-sidecar), started by
static/canopy/api-docs.js, so the Content-Security-Policy needs no inline script or CDN."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def api_docs(request):
    return render(request, "portal/api_docs.html")
