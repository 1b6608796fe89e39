"""Request ids and job ids on every log line, from the click to the LDAP error.

A request gets an id (``portal.middleware.RequestIdMiddleware``); a job requested during it
records that id (``core.jobs.request_job`` -> ``Job.request_id``); the worker running the job
sets both the job's id and the originating request id (``provisioning.engine.runner``). The
ids live in context variables, and a log record factory copies them onto every record as it
is made, whichever logger or handler it goes to (pytest's caplog included).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
job_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("job_id", default=None)
user_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)

# What a proxy's X-Request-ID may be before it is trusted onto log lines and the 500 page.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def new_request_id() -> str:
    """Short enough to read out over the phone (it is the 500 page's reference)."""
    return secrets.token_hex(6).upper()


def acceptable_request_id(value: str | None) -> bool:
    return bool(value) and _ACCEPTABLE_ID.fullmatch(value) is not None


@contextmanager
def job_context(job: int, origin_request_id: str = "") -> Iterator[None]:
    """While a worker runs ``job``: its id, and the id of the request that asked for it."""
    job_token = job_id.set(job)
    request_token = request_id.set(origin_request_id)
    try:
        yield
    finally:
        request_id.reset(request_token)
        job_id.reset(job_token)


_base_factory = logging.getLogRecordFactory()


def _record_factory(*args, **kwargs) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.request_id = request_id.get()
    record.job_id = job_id.get()
    record.user_id = user_id.get()
    return record


def install() -> None:
    """Called once at start-up (``core.apps``); installing twice changes nothing."""
    if logging.getLogRecordFactory() is not _record_factory:
        logging.setLogRecordFactory(_record_factory)


class ContextFilter(logging.Filter):
    """For records made before ``install()`` ran: the same fields, empty, so a format that
    names them never fails."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, default in (("request_id", ""), ("job_id", None), ("user_id", None)):
            if not hasattr(record, name):
                setattr(record, name, default)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line (``LOG_FORMAT=json``), for a log collector."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or None,
            "job_id": getattr(record, "job_id", None),
            "user_id": getattr(record, "user_id", None),
            "process": record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)
