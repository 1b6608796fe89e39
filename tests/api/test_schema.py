"""The OpenAPI document: valid, complete, and read only by those who may use the API."""

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.api.helpers import api_client
from tests.test_permission_matrix import api_operations

pytestmark = pytest.mark.django_db


def test_the_document_is_valid_openapi_and_made_without_a_warning(tmp_path):
    """A warning is also a failure of `manage.py check --deploy` (drf-spectacular's check)."""
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")


def test_the_document_describes_every_operation_and_the_key_scheme(cast):
    response = api_client(cast.customer_admin).get(reverse("api_schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    described = {
        (path, method) for path, operations in schema["paths"].items() for method in operations
    }
    assert len(described) == len(api_operations())
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


def test_anonymous_visitors_get_no_document():
    assert Client().get(reverse("api_schema")).status_code == 401
