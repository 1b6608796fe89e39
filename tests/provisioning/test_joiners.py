"""Joiners and leavers against the real DC: an account made before its start date is
disabled and enabled on the day; on the end date it is disabled and its services released;
after the organisation's retention it is removed. The hourly run is idempotent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.actors import SYSTEM
from core.models import Job, JobState
from customers.actions import catalogue
from customers.actions.assignments import give_service
from customers.actions.joiners import apply_schedules
from customers.actions.lifecycle import may_sign_in, provision_organisation
from customers.actions.users import create_user, user_job
from customers.models import Plan, Service, User, UserService
from directory import find_account_by_guid, get_connection
from provisioning.actions.reconcile import check_organisation
from provisioning.engine.connection import directory_config
from tests.provisioning.helpers import run

pytestmark = [pytest.mark.directory, pytest.mark.django_db]


def settle() -> None:
    """Run every queued job in this process, as a worker would."""
    for job in Job.objects.filter(state=JobState.QUEUED, run_after__isnull=True).order_by("pk"):
        done = run(job)
        assert done.state == JobState.SUCCEEDED, (done.kind, done.error)


def account(user: User):
    user.refresh_from_db()
    return find_account_by_guid(get_connection(directory_config()), user.directory_guid)


class Clock:
    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        self.today = timezone.localdate()

    def move(self, days: int) -> None:
        self.today += timedelta(days=days)
        today = self.today
        self.monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today)


@pytest.fixture
def customer(tenants, directory_settings):
    org = tenants.customer(leaver_retention_days=10)
    tenants.user(org, is_admin=True)
    run(provision_organisation(actor=SYSTEM, organisation=org))
    org.refresh_from_db()
    return org


def test_a_joiner_is_disabled_until_the_start_date_and_enabled_on_the_day(
    customer, tenants, monkeypatch
):
    clock = Clock(monkeypatch)
    domain = customer.primary_domain.name
    username = tenants.unique("j")
    person, _ = create_user(
        actor=SYSTEM,
        organisation=customer,
        username=username,
        upn=f"{username}@{domain}",
        starts_on=clock.today + timedelta(days=3),
    )
    settle()
    assert account(person).enabled is False
    assert not may_sign_in(person)
    assert check_organisation(customer).drift == []

    assert apply_schedules().started == 0  # not yet
    clock.move(3)
    assert apply_schedules().started == 1
    assert apply_schedules().started == 0  # once
    settle()
    assert account(person).enabled is True
    assert may_sign_in(person)
    assert check_organisation(customer).drift == []


def test_a_leaver_is_disabled_released_and_removed_after_the_retention(
    customer, tenants, monkeypatch
):
    clock = Clock(monkeypatch)
    person = tenants.user(customer, ends_on=clock.today + timedelta(days=2))
    code = tenants.unique("S").upper()
    service = Service.objects.create(code=code, name=f"VPN {code}", service_type="security_group")
    subscription, job = catalogue.provision_service(
        actor=SYSTEM, organisation=customer, plan=Plan.objects.create(service=service, name="P")
    )
    run(job)
    give_service(actor=SYSTEM, subscription=subscription, users=[person])
    user_job(kind="create_user", actor=SYSTEM, user=person)
    settle()
    assert account(person).enabled is True

    clock.move(2)
    applied = apply_schedules()
    assert (applied.left, applied.removed) == (1, 0)
    assert apply_schedules().left == 0
    settle()
    assert account(person).enabled is False
    assert not UserService.objects.filter(user=person, subscription=subscription).exists()
    assert check_organisation(customer).drift == []

    clock.move(9)
    assert apply_schedules().removed == 0  # the retention (10 days) has not passed
    clock.move(1)
    assert apply_schedules().removed == 1
    settle()
    assert not User.objects.filter(pk=person.pk).exists()
    assert check_organisation(customer).drift == []


def test_the_users_list_shows_who_starts_or_leaves_soon(customer, tenants, admin_client):
    today = timezone.localdate()
    tenants.user(customer, username=tenants.unique("s"), starts_on=today + timedelta(days=5))
    tenants.user(customer, username=tenants.unique("l"), ends_on=today + timedelta(days=7))
    page = admin_client.get(reverse("users:list"), {"q": tenants.tag}).content.decode()
    assert "Starts " + (today + timedelta(days=5)).isoformat() in page
    assert "Leaves " + (today + timedelta(days=7)).isoformat() in page
