"""Schemathesis against a live server: for every operation in the OpenAPI document, requests
generated from the document, as a customer admin and as a reseller admin with their API keys.
No answer may be a 5xx, and every answer must conform to the document (status, headers, body).

The budget is bounded (``CANOPY_SCHEMATHESIS_EXAMPLES`` examples per operation and key,
default 8) so the suite stays quick; raise it for a deeper search.
"""

from __future__ import annotations

import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks

from tests.api.helpers import make_key
from tests.cast import build_cast

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = int(os.environ.get("CANOPY_SCHEMATHESIS_EXAMPLES", "8"))
# What the issue asks: no 5xx, and every answer as the document says. Not "every schema-valid
# request succeeds": a request can be well-formed and still refused by a rule (a taken
# domain, a state that does not allow the change), with a 400 the document describes.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


def run_operation(operation, base_url: str, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

    check()


@pytest.mark.parametrize("who", ["customer_admin", "reseller_admin"])
def test_every_operation_answers_within_its_document(live_server, who):
    cast = build_cast()
    _key, plain = make_key(getattr(cast, who))
    headers = {"Authorization": f"Bearer {plain}"}
    document = requests.get(
        f"{live_server.url}/api/schema/?format=json", headers=headers, timeout=30
    )
    assert document.status_code == 200
    schema = schemathesis.openapi.from_dict(document.json())
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        try:
            run_operation(operation, live_server.url, headers)
        except Exception as error:
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert operations >= 15
    assert not failures, "\n\n".join(failures)
