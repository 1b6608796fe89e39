"""Faults, with real worker processes: a worker killed mid-job, the DC stopped during a
job, the broker losing its messages, a permanent error fixed and retried; and no
plaintext password anywhere afterwards."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.actors import SYSTEM
from core.jobs import JobKind
from core.models import Job, JobState
from customers.actions.lifecycle import provision_organisation
from customers.actions.users import user_job
from customers.models import Status
from directory import UserSpec, delete_user, ensure_user, verify_password
from provisioning.engine import rows
from provisioning.engine.sweeper import sweep_jobs
from tests.fixtures.waiting import wait_until
from tests.provisioning.helpers import run, subtree
from tests.provisioning.workers import PrivateRedis, Worker, worker_environment

# Transactional: the worker subprocess must see committed rows. The flush after each test
# empties every table; customers' post_migrate handler puts the built-in roles back.
pytestmark = [pytest.mark.directory, pytest.mark.serial, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SECRET_PASSWORD = "Plaintext-Needle-93#q"


@pytest.fixture
def broker():
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("the fault tests need a Redis broker (CELERY_BROKER_URL=redis://...)")
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def workers(broker, directory_settings, samba_dc, test_ou, tmp_path):
    directory_settings.JOB_STALE_AFTER_SECONDS = 4
    started: list[Worker] = []

    def start() -> Worker:
        worker = Worker(worker_environment(samba_dc, test_ou), tmp_path / "worker.log")
        started.append(worker)
        worker.wait_ready()
        return worker

    start.log_path = tmp_path / "worker.log"
    yield start
    for worker in started:
        worker.stop()


def big_customer(tenants, users: int):
    org = tenants.customer(domains=2)
    for _ in range(users):
        tenants.user(org)
    return org


def state_of(job_id: int) -> Job:
    return Job.objects.get(pk=job_id)


def finished(job_id: int, timeout: float = 120) -> Job:
    return wait_until(
        lambda: (job := state_of(job_id)).is_finished and job,
        timeout,
        f"job {job_id} did not finish",
        interval=0.3,
    )


def stale(job_id: int) -> bool:
    """Has the job shown no sign of life for JOB_STALE_AFTER_SECONDS, as the sweeper judges it
    (its heartbeat, its due time or its creation, whichever is latest)?"""
    job = state_of(job_id)
    last_sign = max(t for t in (job.heartbeat, job.run_after, job.created) if t is not None)
    return last_sign < rows.stale_before(timezone.now())


def assert_exactly_provisioned(ldap, test_ou, org) -> None:
    accounts = subtree(ldap, test_ou, "user")
    assert len(accounts) == org.users.count()
    assert len(subtree(ldap, test_ou, "group")) == 2
    assert len(subtree(ldap, test_ou, "organizationalUnit")) == 5
    guids = {entry["guid"] for entry in accounts}
    assert guids == set(org.users.values_list("directory_guid", flat=True))


def test_a_worker_killed_mid_job_leaves_it_to_end_succeeded_without_duplicates(
    workers, tenants, ldap, test_ou
):
    org = big_customer(tenants, 40)
    first = workers()
    job = provision_organisation(actor=SYSTEM, organisation=org)

    # Accounts are made ACCOUNTS_PER_STEP to a step (40: two steps): killed once the first
    # batch is logged, while the second is being made.
    wait_until(
        lambda: any(
            entry["message"].startswith("Make the accounts of")
            for entry in state_of(job.pk).log or []
        ),
        60,
        "the job never got half-way",
        interval=0.05,
    )
    first.kill()
    half_way = state_of(job.pk)
    assert half_way.state == JobState.RUNNING
    assert 0 < half_way.steps_done < half_way.steps_total

    workers()
    wait_until(lambda: stale(job.pk), 30, "the killed worker's job never went stale")
    assert job.pk in sweep_jobs()
    job = finished(job.pk)

    assert job.state == JobState.SUCCEEDED, job.error
    assert job.attempts == 2
    org.refresh_from_db()
    assert org.status == Status.ACTIVE
    assert_exactly_provisioned(ldap, test_ou, org)


def test_the_dc_stopped_during_a_job_makes_it_retry_and_succeed(workers, tenants, ldap, test_ou):
    # Enough accounts (made 25 to a step, three writes each) to outlast the DC's stopping.
    org = big_customer(tenants, 50)
    workers()
    job = provision_organisation(actor=SYSTEM, organisation=org)
    script = ROOT / "scripts" / "samba-dc.sh"

    wait_until(
        lambda: state_of(job.pk).steps_done >= 8, 60, "the job never got running", interval=0.05
    )
    try:
        subprocess.run([str(script), "stop"], check=True, capture_output=True, timeout=60)
        wait_until(
            lambda: state_of(job.pk).attempts >= 2 or state_of(job.pk).state == JobState.QUEUED,
            30,
            "stopping the DC caused no transient failure",
        )
    finally:
        subprocess.run([str(script), "start"], check=True, capture_output=True, timeout=300)

    job = finished(job.pk, timeout=180)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.attempts >= 2
    assert any(entry.get("level") == "warning" for entry in job.log)
    ldap.unbind()
    from directory import connect

    conn = connect(tenants.config)
    try:
        org.refresh_from_db()
        assert_exactly_provisioned(conn, test_ou, org)
    finally:
        conn.unbind()


@pytest.fixture
def private_broker(directory_settings, tmp_path, monkeypatch):
    """The test's own Redis, used by this process to send and by the workers to receive."""
    from portal.celery import app

    server = PrivateRedis(tmp_path)
    directory_settings.CELERY_BROKER_URL = server.url
    previous = app.conf.broker_url

    def point_at(url: str) -> None:
        # Celery reads CELERY_BROKER_URL from the environment before its own configuration.
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        app.conf.broker_url = url
        # Celery caches its connection and producer pools: forget them (without closing:
        # kombu's registry hands the same pools out again for the same URL) so the next
        # send connects to ``url``.
        app._pool = None
        app.amqp._producer_pool = None

    point_at(server.url)
    yield server
    point_at(previous)
    server.kill()


def test_jobs_queued_when_redis_restarts_still_end(private_broker, workers, tenants):
    orgs = [big_customer(tenants, 1) for _ in range(3)]
    jobs = [provision_organisation(actor=SYSTEM, organisation=org) for org in orgs]
    assert private_broker.client.llen("celery") == 3
    private_broker.restart()  # SIGKILL and start again: nothing kept on disk
    assert private_broker.client.llen("celery") == 0

    workers()
    assert all(state_of(job.pk).state == JobState.QUEUED for job in jobs)
    wait_until(lambda: all(stale(job.pk) for job in jobs), 30, "the lost jobs never went stale")
    # Due for the sweeper and still queued: the ready worker had no message to run them by.
    assert all(state_of(job.pk).state == JobState.QUEUED for job in jobs)
    assert sorted(sweep_jobs()) == sorted(job.pk for job in jobs)

    for job in jobs:
        assert finished(job.pk).state == JobState.SUCCEEDED


def test_a_permanent_error_fails_readably_and_a_retry_after_the_fix_succeeds(
    tenants, directory_settings, ldap, test_ou, samba_dc
):
    from provisioning.actions.jobs import retry_job

    org = tenants.customer()
    person = tenants.user(org)
    # Someone made an account with the user's UPN elsewhere in the domain.
    squatter = ensure_user(
        ldap,
        test_ou,
        UserSpec(
            upn=person.upn,
            sam_account_name=tenants.unique("s"),
            given_name="Squat",
            surname="Ter",
            display_name="Squatter",
        ),
    )

    job = run(provision_organisation(actor=SYSTEM, organisation=org))

    assert job.state == JobState.FAILED
    assert f"Make the account of {person.username}" in job.error
    assert f"The UPN {person.upn} already belongs to an account outside the Users OU" in job.error
    org.refresh_from_db()
    assert org.status == Status.FAILED

    delete_user(ldap, squatter.dn)
    retry_job(actor=SYSTEM, job=job)
    job = run(job)

    assert job.state == JobState.SUCCEEDED, job.error
    org.refresh_from_db()
    assert org.status == Status.ACTIVE


def test_no_plaintext_password_anywhere_after_a_provisioning_run(
    workers, broker, tenants, samba_dc, caplog
):
    org = tenants.customer()
    admin = tenants.user(org, password=SECRET_PASSWORD)
    workers()
    provisioning = provision_organisation(actor=SYSTEM, organisation=org)
    created = user_job(kind=JobKind.CREATE_USER, actor=SYSTEM, user=admin, password=SECRET_PASSWORD)
    reset = user_job(
        kind=JobKind.RESET_PASSWORD, actor=SYSTEM, user=admin, password=SECRET_PASSWORD + "2"
    )
    for job in (provisioning, created, reset):
        assert finished(job.pk).state == JobState.SUCCEEDED
    admin.refresh_from_db()
    assert verify_password(samba_dc, admin.upn, SECRET_PASSWORD + "2")

    needles = [SECRET_PASSWORD.encode(), SECRET_PASSWORD.encode("utf-16-le")]

    # 1. The database: every table, every column, as pg_dump writes it.
    db = connection.settings_dict
    dump = subprocess.run(
        ["pg_dump", "-h", db["HOST"] or "127.0.0.1", "-U", db["USER"], db["NAME"]],
        capture_output=True,
        check=True,
        env={"PGPASSWORD": db.get("PASSWORD") or "", "PATH": "/usr/bin:/bin"},
    ).stdout
    assert b"provisioning_job" in dump and len(dump) > 10_000
    # 2. Every Redis key's value in the broker's database.
    values = []
    for key in broker.scan_iter():
        kind = broker.type(key)
        if kind == b"string":
            values.append(broker.get(key))
        elif kind == b"list":
            values.extend(broker.lrange(key, 0, -1))
        elif kind == b"hash":
            values.extend(v for pair in broker.hgetall(key).items() for v in pair)
        elif kind == b"set":
            values.extend(broker.smembers(key))
        elif kind == b"zset":
            values.extend(broker.zrange(key, 0, -1))
    redis_blob = b"\n".join(values)
    # 3. The job records, 4. the worker's log and this process's log.
    jobs_blob = repr(list(Job.objects.values())).encode()
    worker_log = workers.log_path.read_bytes()
    assert b"provisioning.run_job" in worker_log
    test_log = caplog.text.encode()

    for name, blob in [
        ("database", dump),
        ("redis", redis_blob),
        ("jobs", jobs_blob),
        ("worker log", worker_log),
        ("test log", test_log),
    ]:
        for needle in needles:
            assert needle not in blob, f"the password is in the {name}"
    assert not Job.objects.exclude(secret="").exists()
