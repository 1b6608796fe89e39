"""Safe writes: ETags with ``If-Match`` (a stale client gets 412 instead of overwriting
someone's change) and ``Idempotency-Key`` (a retried POST gets the first answer instead of
doing it twice).

The ETag is a digest of the object's representation, so it changes whenever anything the
client saw changes. The idempotency record is written in the same transaction as the write
it answers: both are there, or neither.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.models import IdempotentRequest

IDEMPOTENCY_LIFETIME = timedelta(hours=24)
# Replayed answers keep the headers that point at what was made.
KEPT_HEADERS = ("Location", "Link")

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag of the representation you changed: 412 if it is stale.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="A unique key (up to 200 characters) for this request: sent again within "
    "24 hours, the same request gets the first answer and is not done twice.",
)


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("This was changed since you read it: read it again, then retry.")
    default_code = "precondition_failed"


class IdempotencyConflict(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This Idempotency-Key was used for a different request.")
    default_code = "idempotency_key_reused"


def etag_for(data) -> str:
    payload = json.dumps(data, sort_keys=True, default=str).encode()
    return '"' + hashlib.sha256(payload).hexdigest()[:32] + '"'


def check_if_match(request, current: str) -> None:
    """412 unless ``If-Match`` (when sent) names ``current`` (or is ``*``)."""
    header = request.headers.get("If-Match")
    if not header:
        return
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" not in tags and current not in tags:
        raise PreconditionFailed


def with_etag(response: Response) -> Response:
    response["ETag"] = etag_for(response.data)
    return response


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.get_full_path(), request.body):
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _replay(record: IdempotentRequest, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyConflict
    response = Response(record.body, status=record.status_code, headers=record.headers)
    response["Idempotent-Replayed"] = "true"
    return response


def _wait_for_others_with(user_id: int, key: str) -> None:
    """Serialise requests with one key: the second waits here until the first has committed
    (its record then answers it) or rolled back (it then does the work itself). Without
    this, the second would run the action beside the first and be refused by what the first
    made (a domain taken) instead of getting the first's answer."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"canopy idempotency {user_id} {key}"],
            )
    # SQLite (the laptop run) lets one transaction write at a time anyway.


def idempotent(handler):
    """For a POST handler of an APIView: honour ``Idempotency-Key``."""

    @extend_schema(parameters=[IDEMPOTENCY_KEY])
    @wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not 0 < len(key) <= 200:
            raise ValidationError({"Idempotency-Key": [_("Send 1 to 200 characters.")]})
        fingerprint = _fingerprint(request)
        now = timezone.now()
        mine = IdempotentRequest.objects.filter(user=request.user.pk, key=key)
        try:
            with transaction.atomic():
                _wait_for_others_with(request.user.pk, key)
                mine.filter(expires_at__lte=now).delete()
                earlier = mine.first()
                if earlier is not None:
                    return _replay(earlier, fingerprint)
                response = handler(view, request, *args, **kwargs)
                if response.status_code < 500:
                    IdempotentRequest.objects.create(
                        user_id=request.user.pk,
                        key=key,
                        fingerprint=fingerprint,
                        status_code=response.status_code,
                        body=json.loads(JSONRenderer().render(response.data) or b"null"),
                        headers={h: response[h] for h in KEPT_HEADERS if h in response},
                        expires_at=now + IDEMPOTENCY_LIFETIME,
                    )
                return response
        except IntegrityError:
            # Should the lock above be bypassed (another database), the unique index still
            # keeps one record: this request's write was rolled back with it. Answer what the
            # other answered.
            earlier = mine.first()
            if earlier is None:
                raise
            return _replay(earlier, fingerprint)

    return wrapper
