"""What a person sees when a request fails, and how the administrator finds out why.

The 500 page gives a short reference: the request's id (``portal.middleware.RequestIdMiddleware``),
which every log line of that request carries, and the jobs it asked for and their workers' log
lines too. The log line with the traceback (``django.request``) also ends with it, so
"reference 3F9A0C12AB34" in a support call leads straight to the error, and from a failed
provisioning to the LDAP error in the worker's log. The page is rendered without a request
context: whatever broke (the database, a context processor) must not break the error page too.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponseServerError
from django.template import loader
from django.utils.translation import gettext as _

from core import tracing

logger = logging.getLogger(__name__)


def server_error(request: HttpRequest) -> HttpResponseServerError:
    """handler500: a friendly page with a reference that is also in the log."""
    reference = getattr(request, "request_id", None) or tracing.new_request_id()
    request.error_reference = reference
    try:
        body = loader.get_template("500.html").render({"reference": reference})
    except Exception:
        logger.exception("The 500 page itself failed to render (reference %s)", reference)
        body = _("Server error. Reference: %(reference)s") % {"reference": reference}
        return HttpResponseServerError(body, content_type="text/plain; charset=utf-8")
    return HttpResponseServerError(body)


class ErrorReferenceFilter(logging.Filter):
    """Adds the 500 page's reference to Django's log line for that request (with traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        reference = getattr(getattr(record, "request", None), "error_reference", None)
        if reference and not getattr(record, "error_reference", None):
            record.error_reference = reference
            # The message is a %-format string; a reference is hex, so it needs no escaping.
            record.msg = f"{record.msg} (reference {reference})"
        return True
