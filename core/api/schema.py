"""What the OpenAPI document says about errors: every operation may answer them, so a client
(and Schemathesis) can rely on the document for every status it gets."""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "description": "`detail` for a refusal; for invalid input, a list of messages per field "
    "(`non_field_errors` for the rest).",
    "additionalProperties": True,
}

ALWAYS = {
    "400": "Invalid input: the messages, by field.",
    "401": "No API key, or one that is not valid, has expired or was revoked.",
    "403": "You (or this key) may not do this here.",
    "404": "Not found, or not yours to see.",
    "429": "Too many requests for this key or person: wait the seconds Retry-After says.",
}
BY_METHOD = {
    "patch": {"412": "Changed since you read it (If-Match did not match the ETag)."},
    "delete": {"412": "Changed since you read it (If-Match did not match the ETag)."},
    "post": {"422": "This Idempotency-Key was used for a different request."},
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code, description in {**ALWAYS, **BY_METHOD.get(method, {})}.items():
                responses.setdefault(code, {"description": description, "content": reference})
    return result
