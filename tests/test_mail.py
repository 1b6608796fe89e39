"""core.mail: messages leave from a worker after commit, through SMTP, with retries.

Received by a real SMTP server on a loopback port (tests/fixtures/smtp.py). Executing the
captured on-commit callbacks is the worker's turn: the ``smtp`` fixture runs Celery's
``apply_async`` in this process.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict

import pytest
from django.db import transaction

from core.mail import Attachment, OutgoingEmail, queue_email, retry_delay
from tests.fixtures.smtp import point_at, run_mail_worker

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_queued_message_waits_for_the_commit_then_the_worker_sends_it(
    smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queue_email(
            subject="Hello\nBcc: evil@example.com",
            body="Plain words",
            html="<p>Plain words</p>",
            to=["b@example.com", "a@example.com", "a@example.com", ""],
            kind="test",
        )
    assert len(callbacks) == 1 and smtp.messages == []
    run_mail_worker(callbacks)
    assert smtp.recipients == [["a@example.com", "b@example.com"]]
    message = smtp.messages[0]
    assert message["Subject"] == "Hello Bcc: evil@example.com"  # no header from a newline
    assert message["Bcc"] is None
    assert message.get_body(("plain",)).get_content().strip() == "Plain words"
    assert message.get_body(("html",)).get_content().strip() == "<p>Plain words</p>"


def test_an_attachment_crosses_the_broker_as_json_and_arrives_whole(
    smtp, django_capture_on_commit_callbacks
):
    content = bytes(range(256)) * 4  # binary, not text
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outgoing = queue_email(
            subject="Report",
            body="Attached.",
            to=["a@example.com"],
            attachments=[
                Attachment.of("report.xlsx", content, XLSX),
                Attachment.of("report.csv", b"Kunde;Spitze\nCONE;4\n", "text/csv"),
            ],
        )
    data = json.loads(json.dumps(asdict(outgoing)))  # what the broker carries
    assert data["attachments"][0]["name"] == "report.xlsx"
    assert OutgoingEmail(**data).attachments[0].content() == content
    run_mail_worker(callbacks)
    [message] = smtp.messages
    assert message.get_body(("plain",)).get_content().strip() == "Attached."
    xlsx, text = message.iter_attachments()
    assert (xlsx.get_filename(), xlsx.get_content_type()) == ("report.xlsx", XLSX)
    assert xlsx.get_content() == content
    assert (text.get_filename(), text.get_content_type()) == ("report.csv", "text/csv")
    assert text.get_content().splitlines() == ["Kunde;Spitze", "CONE;4"]  # CRLF on the wire


def test_a_rolled_back_transaction_queues_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        try:
            with transaction.atomic():
                queue_email(subject="x", body="y", to=["a@example.com"])
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == []


def test_no_recipient_queues_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert queue_email(subject="x", body="y", to=["", " "]) is None
    assert callbacks == []


def test_a_relay_that_is_down_is_logged_and_tried_again_then_given_up(
    smtp, settings, caplog, django_capture_on_commit_callbacks
):
    point_at(settings, "smtp://127.0.0.1:9")  # the discard port: nothing listens
    settings.EMAIL_MAX_RETRIES = 2
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queue_email(subject="x", body="y", to=["a@example.com"], kind="welcome")
    with caplog.at_level(logging.INFO, logger="core.mail"):
        run_mail_worker(callbacks)
    lines = [r.getMessage() for r in caplog.records if r.name == "core.mail"]
    assert sum("welcome to 1 recipient(s) failed (attempt" in line for line in lines) == 2
    assert any("failed for good after 3 attempt(s)" in line for line in lines)
    assert smtp.messages == []


def test_the_wait_between_tries_doubles_up_to_the_cap(settings):
    settings.EMAIL_RETRY_MAX_SECONDS = 100
    assert [retry_delay(n) for n in range(4)] == [30, 60, 100, 100]
