"""Outgoing e-mail: built in the request (or job), sent by a Celery task after commit.

``queue_email`` takes the finished message (subject, text, optional HTML, recipients) and
enqueues ``core.send_email`` in ``transaction.on_commit``: nothing is sent from inside a web
request, and a rolled-back transaction sends nothing. The task sends through the configured
``EMAIL_URL`` and, when the relay refuses or cannot be reached, logs the failure and tries
again with a doubling wait (``EMAIL_MAX_RETRIES``, ``EMAIL_RETRY_MAX_SECONDS``). The
broker carries the message's text and its attachments (base64, a monthly report's file),
never a password: notices hold links, not secrets.
"""

from __future__ import annotations

import base64
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import partial

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger("core.mail")

SEND_EMAIL_TASK = "core.send_email"


@dataclass
class Attachment:
    """A file sent with a message; ``data`` is the content in base64, so the message stays
    plain JSON on its way through the broker."""

    name: str
    content_type: str
    data: str

    @classmethod
    def of(cls, name: str, content: bytes, content_type: str) -> Attachment:
        return cls(name, content_type, base64.b64encode(content).decode("ascii"))

    def content(self) -> bytes:
        return base64.b64decode(self.data)


@dataclass
class OutgoingEmail:
    """One message as the worker will send it: JSON-serialisable plain values."""

    subject: str
    body: str
    to: list[str]
    html: str = ""
    from_email: str = ""
    reply_to: list[str] = field(default_factory=list)
    kind: str = ""  # which notice (for the log): "welcome", "job_failed", "send_email"...
    attachments: list[Attachment] = field(default_factory=list)

    def __post_init__(self) -> None:
        # From the broker each attachment arrives as the dict ``asdict`` made of it.
        self.attachments = [
            a if isinstance(a, Attachment) else Attachment(**a) for a in self.attachments
        ]

    def message(self) -> EmailMultiAlternatives:
        message = EmailMultiAlternatives(
            subject=" ".join(self.subject.split()),  # no header injection through newlines
            body=self.body,
            from_email=self.from_email or settings.DEFAULT_FROM_EMAIL,
            to=self.to,
            reply_to=self.reply_to or None,
        )
        if self.html:
            message.attach_alternative(self.html, "text/html")
        for attachment in self.attachments:
            message.attach(attachment.name, attachment.content(), attachment.content_type)
        return message


def _clean(addresses: Iterable[str]) -> list[str]:
    return sorted({address.strip() for address in addresses if address and address.strip()})


def queue_email(
    *,
    subject: str,
    body: str,
    to: Iterable[str],
    html: str = "",
    from_email: str = "",
    reply_to: Iterable[str] = (),
    kind: str = "",
    attachments: Iterable[Attachment] = (),
) -> OutgoingEmail | None:
    """Send this message from a worker once the caller's transaction commits, with
    ``attachments`` (``Attachment.of(name, bytes, content type)``).

    Returns what will be sent (None when there is no recipient)."""
    recipients = _clean(to)
    if not recipients:
        return None
    outgoing = OutgoingEmail(
        subject=subject,
        body=body,
        to=recipients,
        html=html,
        from_email=from_email,
        reply_to=_clean(reply_to),
        kind=kind,
        attachments=list(attachments),
    )
    data = asdict(outgoing)
    transaction.on_commit(partial(enqueue, data))
    return outgoing


def enqueue(data: dict) -> None:
    """After commit: hand the message to the broker. A broker that cannot take it loses this
    one message (logged with its kind and recipients' count); the person's change stands."""
    try:
        send_email.apply_async(kwargs={"data": data})
    except (OSError, KombuOperationalError):
        logger.error(
            "e-mail %r to %d recipient(s): the broker did not take it",
            data.get("kind"),
            len(data.get("to", [])),
        )


def retry_delay(retries: int) -> int:
    """Seconds before try number ``retries + 2``: 30 s, 60 s, 120 s ... up to the cap."""
    return min(settings.EMAIL_RETRY_MAX_SECONDS, 30 * 2**retries)


def deliver(data: dict) -> None:
    """Send one message now (the worker's part). Raises what the mail backend raised."""
    OutgoingEmail(**data).message().send(fail_silently=False)


def permanent(exc: Exception) -> bool:
    """A refusal a retry cannot cure: 5xx for the message or for every recipient. A relay
    that is down, slow or says 4xx (try later) is worth another try."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


@shared_task(name=SEND_EMAIL_TASK, bind=True, ignore_result=True, acks_late=True)
def send_email(self, data: dict) -> None:
    """Send one queued message; on a failure log it and try again later (doubling waits).

    A relay's permanent refusal (5xx) is logged as an error and not tried again."""
    kind, count = data.get("kind") or "e-mail", len(data.get("to", []))
    try:
        deliver(data)
    except (OSError, smtplib.SMTPException) as exc:
        attempt = self.request.retries + 1
        if permanent(exc) or attempt > settings.EMAIL_MAX_RETRIES:
            logger.error(
                "%s to %d recipient(s) failed for good after %d attempt(s): %s",
                kind,
                count,
                attempt,
                exc,
            )
            raise
        delay = retry_delay(self.request.retries)
        logger.warning(
            "%s to %d recipient(s) failed (attempt %d), trying again in %d s: %s",
            kind,
            count,
            attempt,
            delay,
            exc,
        )
        raise self.retry(exc=exc, countdown=delay, max_retries=settings.EMAIL_MAX_RETRIES) from exc
    logger.info("%s sent to %d recipient(s)", kind, count)
