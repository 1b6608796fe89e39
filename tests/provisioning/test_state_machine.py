"""AD ends up as the portal says, whatever people do and whatever breaks meanwhile.

A Hypothesis state machine drives random sequences of real portal actions (customers
nested under a reseller, names, domains added, verified, made primary and removed, users
created, edited, renamed, moved to another of their customer's domains, disabled, enabled,
reset and deleted, e-mail aliases set, start and end dates set and days passing for the
joiners and leavers schedule, administrators granted and revoked, services subscribed and
given (a security group, mail addresses), seats and password policies changed, suspend,
resume, deprovision, delete, restore) while a real Celery worker runs the jobs, with faults
between and during jobs: the worker killed with SIGKILL mid-step (a new one started), the
DC unreachable for a few seconds (the worker reaches the shared DC through a TCP proxy this
test closes; the DC itself never stops), the broker (a private Redis) restarted, losing its
messages. After each sequence it waits, with a deadline, until every job has settled (the
sweeper re-sends what was lost) and compares the whole tenants subtree with the portal: no
job left neither succeeded nor failed, no difference in any customer (accounts, names,
UPNs, enabled state, groups and members, mail addresses, password policy, UPN suffixes, a
suffix left after its domain was removed), no UPN suffix left in the forest for a domain no
customer holds, no account or OU below the root the portal does not know of.

Budget: CANOPY_HYPOTHESIS_EXAMPLES sequences (default 4) of at most CANOPY_HYPOTHESIS_STEPS
actions (default 10), a minute or two here. Run longer with, e.g.,
``CANOPY_HYPOTHESIS_EXAMPLES=50 CANOPY_HYPOTHESIS_STEPS=30 pytest -m serial
tests/provisioning/test_state_machine.py -s``. It prints its run length and the actions it
executed. A failure Hypothesis shrinks is pasted as an ordinary regression test below.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from ldap3 import SUBTREE

from core.actors import SYSTEM
from core.models import Job, JobState
from customers.actions import catalogue, lifecycle
from customers.actions import users as user_actions
from customers.actions.assignments import give_service, take_service
from customers.actions.domains import add_alias, make_primary, remove_alias
from customers.actions.joiners import apply_schedules
from customers.actions.organisations import (
    apply_organisation_edit,
    create_organisation,
    update_organisation,
)
from customers.actions.verification import verify_by_hand
from customers.models import Domain, Organisation, Plan, Service, Status, User
from directory import TransientDirectoryError, connect, list_upn_suffixes, ops
from provisioning.actions.reconcile import check_organisation
from provisioning.engine.sweeper import sweep_jobs
from tests.provisioning.workers import PrivateRedis, Worker, worker_environment

pytestmark = [pytest.mark.directory, pytest.mark.serial, pytest.mark.django_db(transaction=True)]

EXAMPLES = int(os.environ.get("CANOPY_HYPOTHESIS_EXAMPLES", "4"))
STEPS = int(os.environ.get("CANOPY_HYPOTHESIS_STEPS", "10"))
SETTLE_SECONDS = float(os.environ.get("CANOPY_HYPOTHESIS_SETTLE", "180"))
PASSWORD = "Machine-Pw-9!x"


class Proxy:
    """A TCP proxy in front of the DC that the test can take down: while down it refuses
    new connections and cuts the open ones, which the worker sees as the DC unreachable."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.close()

    def down(self) -> None:
        self.up = False
        with self.lock:
            cut, self.open = self.open, []
        for end in cut:
            try:
                end.shutdown(socket.SHUT_RDWR)
                end.close()
            except OSError:
                pass

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.down()
        self.listener.close()


def point_at(monkeypatch, url: str) -> None:
    """Send this process's job messages to ``url`` (as test_faults does)."""
    from celery import current_app

    monkeypatch.setenv("CELERY_BROKER_URL", url)
    current_app.conf.broker_url = url
    current_app._pool = None
    current_app.amqp._producer_pool = None


@pytest.fixture
def rig(directory_settings, samba_dc, test_ou, tmp_path, monkeypatch):
    """A private Redis, a DC proxy and one worker (restarted when a rule kills it)."""
    from celery import current_app

    redis_server = PrivateRedis(tmp_path)
    directory_settings.CELERY_BROKER_URL = redis_server.url
    directory_settings.JOB_STALE_AFTER_SECONDS = 4
    previous = current_app.conf.broker_url
    point_at(monkeypatch, redis_server.url)
    host, _, port = samba_dc.url.removeprefix("ldaps://").partition(":")
    proxy = Proxy(host, int(port or 636))
    proxied = replace(samba_dc, url=f"ldaps://{host}:{proxy.port}")
    env = worker_environment(
        proxied, test_ou, CELERY_BROKER_URL=redis_server.url, JOB_MAX_ATTEMPTS="60"
    )
    env["CELERY_BROKER_URL"] = redis_server.url

    class Rig:
        worker: Worker | None = None

        def start_worker(self) -> None:
            self.worker = Worker(env, tmp_path / "worker.log")
            self.worker.wait_ready()

    made = Rig()
    made.redis, made.proxy, made.test_ou, made.config = redis_server, proxy, test_ou, samba_dc
    made.start_worker()
    yield made
    if made.worker is not None:
        made.worker.stop()
    proxy.close()
    point_at(monkeypatch, previous)
    redis_server.kill()


def refused(call):
    """Run a portal action; a refusal (not allowed in this state) is a normal outcome."""
    try:
        return call()
    except (ValidationError, PermissionDenied):
        return None


def settle(rig, deadline: float) -> list[Job]:
    """Wait until no job is queued or running, re-sending lost ones as the sweeper does."""
    while time.monotonic() < deadline:
        open_jobs = Job.objects.filter(state__in=[JobState.QUEUED, JobState.RUNNING])
        if not open_jobs.exists():
            return []
        # Due-for-retry jobs wait for their time; stale ones are re-sent.
        sweep_jobs()
        time.sleep(1)
    return list(Job.objects.filter(state__in=[JobState.QUEUED, JobState.RUNNING]))


def differences(rig, domains: list[str], tries: int = 3) -> list[str]:
    """``compare``, again on a fresh connection when the test's own reads could not reach
    the DC (the test's connection goes to the shared DC directly, not through the proxy,
    and a DC busy with other work may drop it): what is compared is the portal's work, not
    the test's line to the DC. A difference that stays is returned as found."""
    found: list[str] = []
    for attempt in range(tries):
        try:
            found = compare(rig, domains)
        except TransientDirectoryError as error:
            found = [f"the test could not read the directory: {error}"]
        if not any("could not" in line for line in found) or attempt == tries - 1:
            return found
        time.sleep(2)  # the DC, not a clock: give it a moment before reading again
    return found


def compare(rig, domains: list[str]) -> list[str]:
    """Every way the tenants subtree differs from what the portal says; and of the
    ``domains`` the test made, none the forest still accepts once no customer in the
    directory has it (removed, or its customer deprovisioned)."""
    found: list[str] = []
    live = Organisation.objects.filter(
        directory_guid__isnull=False, status__in=[Status.ACTIVE, Status.SUSPENDED]
    )
    conn = connect(rig.config)
    try:
        for organisation in live:
            report = check_organisation(organisation, conn)
            if report.error:
                found.append(f"{organisation.code}: {report.error}")
            found += [f"{organisation.code}: {drift}" for drift in report.drift]
        known_accounts = set(
            User.objects.exclude(directory_guid=None).values_list("directory_guid", flat=True)
        )
        for entry in ops.search(
            conn, rig.test_ou, "(objectClass=user)", scope=SUBTREE, attributes=["cn"]
        ):
            if entry["guid"] not in known_accounts:
                found.append(f"an account the portal does not know: {entry['dn']}")
        ous = {
            entry["guid"]
            for entry in ops.search(
                conn, rig.test_ou, "(objectClass=organizationalUnit)", attributes=["ou"]
            )
        }
        accepted = {name.lower() for name in list_upn_suffixes(conn, rig.config.base_dn)}
        held = set(
            Domain.objects.exclude(
                organisation__status__in=[Status.DEPROVISIONED, Status.DELETED]
            ).values_list("name", flat=True)
        )
        for name in sorted({d.lower() for d in domains} & accepted - held):
            found.append(f"the forest still accepts {name}, a domain no customer holds")
        closed = Organisation.objects.exclude(directory_guid=None).filter(
            status__in=[Status.DEPROVISIONED, Status.DELETED]
        )
        for organisation in closed:
            if organisation.directory_guid in ous:
                found.append(f"{organisation.code} is {organisation.status}; its OU is still there")
    finally:
        conn.unbind()
    return found


def test_the_directory_ends_up_as_the_portal_says(rig, tenants):
    started = time.monotonic()
    executed: Counter[str] = Counter()

    class Portal(RuleBasedStateMachine):
        @initialize()
        def a_reseller(self):
            self.reseller = tenants.organisation(
                parent=tenants.organisation(name="Provider", is_reseller=True),
                name="Reseller",
                is_reseller=True,
            )
            self.customers: list[Organisation] = []
            code = tenants.unique("S").upper()
            service = Service.objects.create(
                code=code, name=f"VPN {code}", service_type="security_group"
            )
            self.plan = Plan.objects.create(service=service, name="Standard")
            code = tenants.unique("M").upper()
            mail = Service.objects.create(
                code=code, name=f"Mail {code}", service_type="mail_attributes"
            )
            # Mail addresses: the UPN and the e-mail aliases in proxyAddresses.
            self.mail_plan = Plan.objects.create(service=mail, name="Standard")
            # Every sequence starts with one customer (and its administrator) to act on.
            self.create_customer()
            self.create_user(index=0, admin=True, later=False)

        def note(self, name: str) -> None:
            executed[name] += 1

        def pick(self, items, index):
            return items[index % len(items)] if items else None

        def customer(self, index) -> Organisation:
            return Organisation.objects.get(pk=self.pick(self.customers, index).pk)

        def users(self):
            return list(
                User.objects.filter(organisation__in=[c.pk for c in self.customers]).order_by("pk")
            )

        @rule()
        def create_customer(self):
            self.note("create customer")
            domain = tenants.domain()
            code = tenants.unique("C").upper()
            tenants.codes.append(code)
            customer = create_organisation(
                actor=SYSTEM,
                parent=self.reseller,
                name=f"Customer {code}",
                code=code,
                domains=[domain],
                # A day of retention: leavers are removed within the days a sequence passes.
                leaver_retention_days=1,
            )
            verify_by_hand(actor=SYSTEM, domain=customer.primary_domain)
            self.customers.append(customer)
            refused(lambda: lifecycle.provision_parent_chain(actor=SYSTEM, organisation=customer))
            refused(lambda: lifecycle.provision_organisation(actor=SYSTEM, organisation=customer))

        @precondition(lambda self: self.customers)
        @rule(index=st.integers(0, 50), admin=st.booleans(), later=st.booleans())
        def create_user(self, index, admin, later):
            self.note("create user")
            customer = self.customer(index)
            username = tenants.unique("u")
            refused(
                lambda: user_actions.create_user(
                    actor=SYSTEM,
                    organisation=customer,
                    username=username,
                    upn=f"{username}@{customer.primary_domain.name}",
                    first_name="Machine",
                    last_name=username,
                    password=PASSWORD,
                    is_admin=admin,
                    # A joiner: the account is made now, disabled until the start date.
                    starts_on=timezone.localdate() + timedelta(days=1) if later else None,
                )
            )

        @precondition(lambda self: self.customers)
        @rule(index=st.integers(0, 50), name=st.sampled_from(["Ada", "Grace", "Émile"]))
        def edit_user(self, index, name):
            self.note("edit user")
            person = self.pick(self.users(), index)
            if person is not None:
                refused(
                    lambda: user_actions.edit_user(
                        actor=SYSTEM, person=person, changes={"first_name": name}
                    )
                )

        @precondition(lambda self: self.customers)
        @rule(index=st.integers(0, 50))
        def rename_user(self, index):
            self.note("rename user (UPN)")
            person = self.pick(self.users(), index)
            if person is not None:
                local = tenants.unique("r")
                domain = person.upn.partition("@")[2]
                refused(
                    lambda: user_actions.edit_user(
                        actor=SYSTEM, person=person, changes={"upn": f"{local}@{domain}"}
                    )
                )

        @precondition(lambda self: self.customers)
        @rule(index=st.integers(0, 50), choice=st.integers(0, 50))
        def move_user_to_another_domain(self, index, choice):
            """A UPN moves to another of the customer's verified domains (the view offers
            only those once the customer is in the directory)."""
            self.note("move user's UPN to another domain")
            person = self.pick(self.users(), index)
            if person is None:
                return
            verified = sorted(d.name for d in person.organisation.domains.all() if d.is_verified)
            target = self.pick(verified, choice)
            if target is not None:
                local = person.upn.partition("@")[0]
                refused(
                    lambda: user_actions.edit_user(
                        actor=SYSTEM, person=person, changes={"upn": f"{local}@{target}"}
                    )
                )

        @precondition(lambda self: self.customers)
        @rule(
            index=st.integers(0, 50),
            step=st.sampled_from(["add", "verify", "make primary", "remove"]),
        )
        def change_domains(self, index, step):
            """What the Domains page does: the action, then the update job for a customer
            already in the directory (``customers.views.domains._applied``)."""
            self.note(f"domain {step}")
            customer = self.customer(index)
            domains = list(customer.domains.order_by("pk"))

            def applied(action):
                def call():
                    action()
                    return apply_organisation_edit(actor=SYSTEM, organisation=customer)

                return call

            if step == "add":
                name = tenants.domain()
                refused(applied(lambda: add_alias(actor=SYSTEM, organisation=customer, name=name)))
            elif step == "verify":
                domain = self.pick([d for d in domains if not d.is_verified], index)
                if domain is not None:
                    refused(lambda: verify_by_hand(actor=SYSTEM, domain=domain))
            elif step == "make primary":
                # Only a verified one: new users get the primary domain in their UPN.
                domain = self.pick([d for d in domains if d.is_verified], index)
                if domain is not None:
                    refused(applied(lambda: make_primary(actor=SYSTEM, domain=domain)))
            else:
                domain = self.pick([d for d in domains if not d.is_primary], index)
                if domain is not None:
                    refused(applied(lambda: remove_alias(actor=SYSTEM, domain=domain)))

        @precondition(lambda self: self.customers)
        @rule(
            index=st.integers(0, 50),
            starts=st.sampled_from([None, -1, 1, 2]),
            ends=st.sampled_from([None, 1, 2, 3]),
        )
        def set_dates(self, index, starts, ends):
            """A start and an end date, days from today (an end before the start is
            refused)."""
            self.note("set start / end dates")
            person = self.pick(self.users(), index)
            if person is None:
                return
            today = timezone.localdate()
            changes = {
                "starts_on": today + timedelta(days=starts) if starts is not None else None,
                "ends_on": today + timedelta(days=ends) if ends is not None else None,
            }
            refused(lambda: user_actions.edit_user(actor=SYSTEM, person=person, changes=changes))

        @precondition(lambda self: self.customers)
        @rule(days=st.integers(1, 2))
        def days_pass(self, days):
            """Days pass, and the hourly joiners and leavers schedule runs.

            The worker is another process reading the real clock (``may_sign_in``), so
            the days pass the other way round: every start and end date comes ``days``
            closer, which is all their passing means to the schedule and to the accounts,
            and the schedule then runs for today. Nothing sleeps."""
            self.note("days pass (joiners and leavers)")
            shift = timedelta(days=days)
            people = User.objects.filter(organisation__in=[c.pk for c in self.customers])
            people.exclude(starts_on=None).update(starts_on=F("starts_on") - shift)
            people.exclude(ends_on=None).update(ends_on=F("ends_on") - shift)
            apply_schedules(actor=SYSTEM, today=timezone.localdate())

        @precondition(lambda self: self.customers)
        @rule(index=st.integers(0, 50), enabled=st.booleans())
        def enable_or_disable_user(self, index, enabled):
            self.note("enable / disable user")
            person = self.pick(self.users(), index)
            if person is not None:
                refused(
                    lambda: user_actions.set_enabled(actor=SYSTEM, person=person, enabled=enabled)
                )

        @precondition(lambda self: self.customers)
        @rule(index=st.integers(0, 50))
        def reset_password(self, index):
            self.note("reset password")
            person = self.pick(self.users(), index)
            if person is not None:
                refused(
                    lambda: user_actions.reset_password(
                        actor=SYSTEM, person=person, password=PASSWORD + "r"
                    )
                )

        @precondition(lambda self: self.customers)
        @rule(index=st.integers(0, 50))
        def delete_user(self, index):
            self.note("delete user")
            person = self.pick(self.users(), index)
            if person is not None:
                refused(lambda: user_actions.delete_user(actor=SYSTEM, person=person))

        @precondition(lambda self: self.customers)
        @rule(index=st.integers(0, 50), admin=st.booleans())
        def grant_or_revoke_admin(self, index, admin):
            self.note("grant / revoke admin")
            person = self.pick(self.users(), index)
            if person is not None:
                refused(
                    lambda: user_actions.set_administrator(actor=SYSTEM, person=person, admin=admin)
                )

        @precondition(lambda self: self.customers)
        @rule(
            index=st.integers(0, 50),
            seats=st.one_of(st.none(), st.integers(1, 20)),
            mail=st.booleans(),
        )
        def subscribe_and_assign(self, index, seats, mail):
            self.note("subscribe / assign service")
            customer = self.customer(index)
            plan = self.mail_plan if mail else self.plan
            subscription = customer.services.filter(service=plan.service).first()
            if subscription is None:
                refused(
                    lambda: catalogue.provision_service(
                        actor=SYSTEM, organisation=customer, plan=plan, user_limit=seats
                    )
                )
                return
            refused(
                lambda: catalogue.change_plan(
                    actor=SYSTEM, subscription=subscription, plan=plan, user_limit=seats
                )
            )
            people = list(customer.users.order_by("pk")[:2])
            if people and index % 2:
                refused(lambda: give_service(actor=SYSTEM, subscription=subscription, users=people))
            elif people:
                refused(lambda: take_service(actor=SYSTEM, subscription=subscription, users=people))

        @precondition(lambda self: self.customers)
        @rule(index=st.integers(0, 50), count=st.integers(0, 2), choice=st.integers(0, 50))
        def set_email_aliases(self, index, count, choice):
            """A user's e-mail aliases on their customer's verified domains (none clears
            them); the Mail attributes service writes them to proxyAddresses."""
            self.note("set e-mail aliases")
            person = self.pick(self.users(), index)
            if person is None:
                return
            verified = sorted(d.name for d in person.organisation.domains.all() if d.is_verified)
            aliases = [
                f"{tenants.unique('a')}@{self.pick(verified, choice + n)}" for n in range(count)
            ]
            refused(
                lambda: user_actions.edit_user(
                    actor=SYSTEM, person=person, changes={"email_aliases": aliases}
                )
            )

        @precondition(lambda self: self.customers)
        @rule(index=st.integers(0, 50), length=st.integers(7, 14), name=st.booleans())
        def edit_customer(self, index, length, name):
            self.note("edit customer (name, password policy)")
            customer = self.customer(index)
            changes = {"password_min_length": length}
            if name:
                changes["name"] = f"{customer.name[:40]} v{length}"

            def edit():
                update_organisation(actor=SYSTEM, organisation=customer, changes=changes)
                return apply_organisation_edit(actor=SYSTEM, organisation=customer)

            refused(edit)

        @precondition(lambda self: self.customers)
        @rule(
            index=st.integers(0, 50),
            step=st.sampled_from(["suspend", "resume", "deprovision", "delete", "restore"]),
        )
        def lifecycle_step(self, index, step):
            self.note(f"customer {step}")
            customer = self.customer(index)
            calls = {
                "suspend": lambda: lifecycle.suspend_organisation(
                    actor=SYSTEM, organisation=customer
                ),
                "resume": lambda: lifecycle.resume_organisation(
                    actor=SYSTEM, organisation=customer
                ),
                "deprovision": lambda: lifecycle.deprovision_organisation(
                    actor=SYSTEM, organisation=customer
                ),
                "delete": lambda: lifecycle.delete_organisation(
                    actor=SYSTEM, organisation=customer, confirm_code=customer.code
                ),
                "restore": lambda: lifecycle.restore_organisation(
                    actor=SYSTEM, organisation=customer
                ),
            }
            refused(calls[step])

        @rule(wait=st.floats(0, 1.5))
        def kill_the_worker(self, wait):
            """SIGKILL mid-step (after ``wait`` seconds of whatever it is doing)."""
            self.note("fault: worker SIGKILL")
            time.sleep(wait)
            rig.worker.kill()
            rig.worker.stop()
            rig.start_worker()

        @rule(seconds=st.floats(0.5, 4))
        def directory_unreachable(self, seconds):
            self.note("fault: DC unreachable")
            rig.proxy.down()
            time.sleep(seconds)
            rig.proxy.restore()

        @rule()
        def restart_the_broker(self):
            self.note("fault: Redis restarted")
            rig.redis.restart()

        @invariant()
        def no_job_is_lost(self):
            # Rows first: every job stays a row in a known state, whatever broke.
            assert not Job.objects.exclude(state__in=JobState.values).exists()

        def teardown(self):
            left = settle(rig, time.monotonic() + SETTLE_SECONDS)
            assert left == [], [(job.pk, job.kind, job.state, job.error) for job in left]
            failed = list(Job.objects.filter(state=JobState.FAILED).values("pk", "kind", "error"))
            found = differences(rig, tenants.domains)
            assert found == [], (found[:20], failed)

    run_state_machine_as_test(
        Portal,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    print(
        f"\nstate machine: {EXAMPLES} example(s) of up to {STEPS} steps in "
        f"{time.monotonic() - started:.0f} s; {sum(executed.values())} actions executed: "
        + ", ".join(f"{name} {count}" for name, count in sorted(executed.items()))
    )
