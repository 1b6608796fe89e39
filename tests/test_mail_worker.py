"""A real Celery worker process sends what a view queued, and nothing leaves before it runs.

The worker reads a Redis of this test's own (so no other worker on the shared broker takes
the message) and sends to the test's SMTP server on a loopback port. The task needs no
database: the message travels whole in the broker.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.mail import enqueue, send_email
from customers.models import Contact
from tests.fixtures.waiting import wait_until
from tests.provisioning.workers import PrivateRedis, Worker, worker_environment

pytestmark = pytest.mark.django_db


def test_a_view_queues_mail_that_only_a_real_worker_sends(
    cast, login, smtp_server, tmp_path, samba_dc, django_capture_on_commit_callbacks
):
    smtp = smtp_server.inbox  # not the ``smtp`` fixture: that one runs Celery in-process
    smtp.received.clear()
    Contact.objects.create(organisation=cast.customer, name="Tech", email="tech@c1.example")
    client = login(cast.customer_admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer = client.post(
            reverse("customers:send_email", args=[cast.customer.pk]),
            {"audience": ["contacts"], "subject": "Real worker", "body": "Hi", "send": "1"},
        )
    assert answer.status_code == 302
    queued = [c.args[0] for c in callbacks if getattr(c, "func", None) is enqueue]
    assert len(queued) == 1 and smtp.messages == []

    broker = PrivateRedis(tmp_path)
    try:
        with send_email.app.connection_for_write(broker.url) as connection:
            for data in queued:
                send_email.apply_async(kwargs={"data": data}, connection=connection)
        assert smtp.messages == []  # in the broker, not sent: no worker yet
        env = worker_environment(
            samba_dc,
            "OU=Unused,DC=canopy,DC=test",
            CELERY_BROKER_URL=broker.url,
            EMAIL_URL=smtp_server.url,
        )
        worker = Worker(env, tmp_path / "worker.log")
        try:
            worker.wait_ready()
            wait_until(lambda: smtp.messages, 60, "the worker sent nothing")
        finally:
            worker.stop()
    finally:
        broker.kill()
    assert smtp.recipients == [["tech@c1.example"]]
    assert smtp.messages[0]["Subject"] == "Real worker"
    assert "core.send_email" in (tmp_path / "worker.log").read_text()
