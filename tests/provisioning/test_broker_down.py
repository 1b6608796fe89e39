"""A broker that cannot take a message does not lose the change nor break the request."""

import pytest

from core.actors import SYSTEM
from core.models import JobState
from customers.actions.lifecycle import provision_organisation
from customers.models import Status

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def unreachable_broker(settings, monkeypatch):
    """Point this process's Celery app at a port nothing listens on."""
    from portal.celery import app

    url = "redis://127.0.0.1:1/0"
    previous = app.conf.broker_url

    def point_at(target: str) -> None:
        monkeypatch.setenv("CELERY_BROKER_URL", target)  # Celery reads this first
        app.conf.broker_url = target
        app._pool = None
        app.amqp._producer_pool = None

    monkeypatch.setitem(app.conf, "broker_connection_max_retries", 0)
    point_at(url)
    yield url
    point_at(previous)


def test_a_job_whose_message_cannot_be_sent_stays_queued_for_the_sweeper(cast, unreachable_broker):
    job = provision_organisation(actor=SYSTEM, organisation=cast.reseller2)  # commits, then sends

    job.refresh_from_db()
    cast.reseller2.refresh_from_db()
    assert job.state == JobState.QUEUED
    assert cast.reseller2.status == Status.PROVISIONING
