"""The API's error answers: an action's ValidationError is a 400 with its messages by field,
as a form would show them; PermissionDenied a 403 and Http404 a 404 (DRF's own handling)."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def validation_body(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == NON_FIELD_ERRORS else field): [
                str(message) for problem in problems for message in problem.messages
            ]
            for field, problems in error.error_dict.items()
        }
    return {"non_field_errors": [str(message) for message in error.messages]}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return Response(validation_body(exc), status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def valid_form(form):
    """The form, once valid; else a 400 with its errors by field, as the page shows them.

    The API validates with the pages' own forms where a form holds a rule (the service types
    a catalogue offers, the plans a customer may be given), so no rule has a second copy."""
    if not form.is_valid():
        raise DrfValidationError(
            {
                ("non_field_errors" if field == NON_FIELD_ERRORS else field): [
                    str(message) for message in messages
                ]
                for field, messages in form.errors.items()
            }
        )
    return form
