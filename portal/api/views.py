"""The API's interactive page: Swagger UI from static/ (drf-spectacular-sidecar), started by
static/canopy/api-docs.js, so the Content-Security-Policy needs no inline script or CDN."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt


@login_required
def api_docs(request):
    return render(request, "portal/api_docs.html")


@csrf_exempt  # nothing here to protect; a POST must get the same JSON 404 as a GET
def api_not_found(request, *args, **kwargs):
    return JsonResponse({"detail": _("Not found.")}, status=404)
