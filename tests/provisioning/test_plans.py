"""Every plan against the real DC: what it does, and that doing it again changes nothing."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from core.actors import SYSTEM
from core.jobs import JobKind, request_job
from core.models import Job, JobState
from customers.actions.domains import add_alias
from customers.actions.lifecycle import (
    deprovision_organisation,
    provision_organisation,
    resume_organisation,
    suspend_organisation,
)
from customers.actions.organisations import apply_organisation_edit
from customers.actions.users import user_job
from customers.actions.verification import verify_by_hand
from customers.models import Domain, Status
from customers.models.domain import VerificationMethod
from directory import (
    disable_user,
    find_user_by_guid,
    is_enabled,
    list_upn_suffixes,
    read_entry,
)
from directory.dn import cn_dn
from directory.entry import text, texts
from directory.policy import password_settings_container
from provisioning.engine.runner import run_job
from provisioning.job_plans import layout
from provisioning.models import DirectoryObject
from tests.provisioning.helpers import run, snapshot, subtree

pytestmark = [pytest.mark.directory]


def succeeded(job):
    job = run(job)
    assert job.state == JobState.SUCCEEDED, job.error
    return job


@pytest.fixture
def customer(tenants, directory_settings, db):
    org = tenants.customer(domains=2)
    tenants.user(org)  # the first user: an administrator
    tenants.user(org)
    succeeded(provision_organisation(actor=SYSTEM, organisation=org))
    org.refresh_from_db()
    return org


def state(ldap, test_ou, tenants):
    return snapshot(
        ldap, test_ou, codes=tenants.codes, base_dn=tenants.config.base_dn, domains=tenants.domains
    )


def again(kind, org):
    return request_job(kind=kind, organisation=org, actor=SYSTEM)


@pytest.mark.django_db
def test_provisioning_twice_leaves_the_same_directory(customer, ldap, test_ou, tenants):
    before = state(ldap, test_ou, tenants)

    succeeded(again(JobKind.REPAIR_ORGANISATION, customer))
    customer.status = Status.ACTIVE
    succeeded(again(JobKind.PROVISION_ORGANISATION, customer))

    assert state(ldap, test_ou, tenants) == before


@pytest.mark.django_db
def test_an_edit_is_applied_twice_to_the_same_result(customer, ldap, test_ou, tenants):
    customer.name = "Renamed Customer Ltd"
    customer.password_min_length = 14
    customer.save()
    dropped = customer.domains.get(is_primary=False)
    dropped.delete()
    added = tenants.domain()
    # A verified domain (an unverified one is no suffix: see the test below).
    Domain.objects.create(
        organisation=customer,
        name=added,
        verified_at=timezone.now(),
        verification_method=VerificationMethod.MANUAL,
    )

    succeeded(apply_organisation_edit(actor=SYSTEM, organisation=customer))
    after_one = state(ldap, test_ou, tenants)
    succeeded(apply_organisation_edit(actor=SYSTEM, organisation=customer))

    assert state(ldap, test_ou, tenants) == after_one
    ou = read_entry(ldap, customer.directory_guid, ["description"])
    assert text(ou, "description") == "Renamed Customer Ltd"
    pso = read_entry(
        ldap,
        cn_dn(password_settings_container(ldap), layout.policy_name(customer.code)),
        ["msDS-MinimumPasswordLength"],
    )
    assert texts(pso, "msDS-MinimumPasswordLength") == ["14"]
    suffixes = {s.lower() for s in list_upn_suffixes(ldap, tenants.config.base_dn)}
    assert added in suffixes
    assert dropped.name not in suffixes


@pytest.mark.django_db
def test_an_unverified_domain_never_becomes_a_upn_suffix_until_it_is_verified(
    customer, ldap, tenants
):
    claimed = tenants.domain()
    domain = add_alias(actor=SYSTEM, organisation=customer, name=claimed)

    succeeded(apply_organisation_edit(actor=SYSTEM, organisation=customer))
    succeeded(again(JobKind.REPAIR_ORGANISATION, customer))

    suffixes = {s.lower() for s in list_upn_suffixes(ldap, tenants.config.base_dn)}
    assert claimed not in suffixes
    assert not DirectoryObject.objects.filter(key=layout.suffix_key(claimed)).exists()

    verify_by_hand(actor=SYSTEM, domain=domain)  # requests the update that adds it
    update = Job.objects.filter(organisation=customer, kind=JobKind.UPDATE_ORGANISATION).latest(
        "pk"
    )
    assert update.state == JobState.QUEUED
    succeeded(update)

    suffixes = {s.lower() for s in list_upn_suffixes(ldap, tenants.config.base_dn)}
    assert claimed in suffixes


@pytest.mark.django_db
def test_suspend_disables_every_account_and_resume_enables_exactly_those(
    customer, ldap, test_ou, tenants
):
    admin, user = customer.users.order_by("pk")
    off_by_hand = tenants.user(customer)
    succeeded(user_job(kind=JobKind.CREATE_USER, actor=SYSTEM, user=off_by_hand))
    off_by_hand.refresh_from_db()
    disable_user(ldap, find_user_by_guid(ldap, off_by_hand.directory_guid)["dn"])

    suspend = succeeded(suspend_organisation(actor=SYSTEM, organisation=customer))
    after_one = state(ldap, test_ou, tenants)
    succeeded(again(JobKind.SUSPEND_ORGANISATION, customer))

    assert state(ldap, test_ou, tenants) == after_one
    for person in (admin, user, off_by_hand):
        assert not is_enabled(ldap, find_user_by_guid(ldap, person.directory_guid)["dn"])
    assert len(suspend.payload["enabled_before"]) == 2

    # Disabled in the portal while suspended: must stay disabled after the resume.
    user.is_active = False
    user.save()
    succeeded(resume_organisation(actor=SYSTEM, organisation=customer))
    after_resume = state(ldap, test_ou, tenants)
    succeeded(again(JobKind.RESUME_ORGANISATION, customer))

    assert state(ldap, test_ou, tenants) == after_resume
    assert is_enabled(ldap, find_user_by_guid(ldap, admin.directory_guid)["dn"])
    assert not is_enabled(ldap, find_user_by_guid(ldap, user.directory_guid)["dn"])
    assert not is_enabled(ldap, find_user_by_guid(ldap, off_by_hand.directory_guid)["dn"])


@pytest.mark.django_db
def test_deprovision_removes_policy_suffixes_and_subtree_and_again_is_harmless(
    customer, ldap, test_ou, tenants
):
    customer.refresh_from_db()
    succeeded(suspend_organisation(actor=SYSTEM, organisation=customer))
    job = succeeded(deprovision_organisation(actor=SYSTEM, organisation=customer))
    customer.refresh_from_db()

    assert customer.status == Status.DEPROVISIONED
    assert customer.directory_guid is None
    assert not customer.users.exclude(directory_guid=None).exists()
    after_one = state(ldap, test_ou, tenants)
    assert after_one[f"policy:{customer.code}"] is None
    for domain in customer.domains.all():
        assert after_one[f"suffix:{domain.name}"] is False
    assert all(f"OU={customer.code}," not in str(o) for o in job.log[-2].get("objects", []))

    Job.objects.create(
        kind=JobKind.DEPROVISION_ORGANISATION,
        organisation=customer,
        target_label="again",
        lock_key=job.lock_key,
    )
    succeeded(Job.objects.latest("pk"))
    assert state(ldap, test_ou, tenants) == after_one


@pytest.mark.django_db
def test_user_plans_each_twice(customer, ldap, test_ou, tenants):
    person = tenants.user(customer, email="first@example.org")
    for _ in range(2):
        succeeded(
            user_job(kind=JobKind.CREATE_USER, actor=SYSTEM, user=person, password="A-good-pw-123!")
        )
    person.refresh_from_db()
    created = state(ldap, test_ou, tenants)

    person.display_name = "Display Changed"
    person.email = ""
    person.is_admin = True
    person.save()
    for _ in range(2):
        succeeded(user_job(kind=JobKind.UPDATE_USER, actor=SYSTEM, user=person))
    account = find_user_by_guid(ldap, person.directory_guid, ["displayName", "mail", "memberOf"])
    assert text(account, "displayName") == "Display Changed"
    assert text(account, "mail") is None
    assert len(texts(account, "memberOf")) == 2
    assert state(ldap, test_ou, tenants) != created

    person.is_active = False
    person.save()
    for _ in range(2):
        succeeded(user_job(kind=JobKind.DISABLE_USER, actor=SYSTEM, user=person))
    assert not is_enabled(ldap, account["dn"])
    person.is_active = True
    person.save()
    for _ in range(2):
        succeeded(user_job(kind=JobKind.ENABLE_USER, actor=SYSTEM, user=person))
    assert is_enabled(ldap, account["dn"])

    for _ in range(2):
        job = succeeded(
            user_job(
                kind=JobKind.RESET_PASSWORD,
                actor=SYSTEM,
                user=person,
                password="Another-good-pw-456!",
                payload={"must_change": True},
            )
        )
        assert job.secret == ""
    from directory import verify_password

    # "must change at next logon" refuses a bind until the password is changed.
    assert not verify_password(tenants.config, person.upn, "Another-good-pw-456!")

    guid = person.directory_guid
    delete = user_job(kind=JobKind.DELETE_USER, actor=SYSTEM, user=person)
    person.delete()
    succeeded(delete)
    succeeded(
        Job.objects.create(
            kind=JobKind.DELETE_USER,
            organisation=customer,
            target_label="again",
            lock_key=delete.lock_key,
            payload=delete.payload,
        )
    )
    assert find_user_by_guid(ldap, guid) is None


def run_twice_at_once(jobs) -> list[str]:
    barrier = threading.Barrier(len(jobs))
    outcomes = []

    def worker(job):
        try:
            barrier.wait()
            outcomes.append(run_job(job.pk, worker=f"thread-{job.pk}"))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcomes


def twins(kind, org, user=None, secret=""):
    """Two jobs of one kind for one target, with different lock keys on purpose: the
    per-customer lock would otherwise keep them apart."""
    return [
        Job.objects.create(
            kind=kind,
            organisation=org,
            user=user,
            secret=secret,
            target_label=org.name,
            lock_key=f"concurrent:{kind}:{i}",
        )
        for i in range(2)
    ]


@pytest.mark.django_db(transaction=True)
def test_provisioning_twice_at_once_leaves_one_of_everything(
    tenants, directory_settings, ldap, test_ou
):
    org = tenants.customer(domains=2)
    for _ in range(3):
        tenants.user(org)
    org.status = Status.PROVISIONING
    org.save()

    outcomes = run_twice_at_once(twins(JobKind.PROVISION_ORGANISATION, org))

    assert outcomes == ["succeeded", "succeeded"], list(Job.objects.values_list("error"))
    assert len(subtree(ldap, test_ou, "organizationalUnit")) == 5
    assert len(subtree(ldap, test_ou, "group")) == 2
    assert len(subtree(ldap, test_ou, "user")) == 3
    org.refresh_from_db()
    assert org.status == Status.ACTIVE
    for user in org.users.all():
        assert find_user_by_guid(ldap, user.directory_guid) is not None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "kind",
    [
        JobKind.UPDATE_ORGANISATION,
        JobKind.REPAIR_ORGANISATION,
        JobKind.CREATE_USER,
        JobKind.RESET_PASSWORD,
        JobKind.DELETE_USER,
        JobKind.DEPROVISION_ORGANISATION,
    ],
)
def test_other_plans_twice_at_once_end_as_once(kind, tenants, directory_settings, ldap, test_ou):
    from core.credentials import encrypt_secret

    org = tenants.customer(domains=2)
    tenants.user(org)
    assert run(provision_organisation(actor=SYSTEM, organisation=org)).state == JobState.SUCCEEDED
    org.refresh_from_db()
    person = tenants.user(org)
    if kind in (JobKind.RESET_PASSWORD, JobKind.DELETE_USER):
        assert run(user_job(kind=JobKind.CREATE_USER, actor=SYSTEM, user=person)).state == (
            JobState.SUCCEEDED
        )
        person.refresh_from_db()
    if kind == JobKind.DEPROVISION_ORGANISATION:
        org.status = Status.DEPROVISIONING
        org.save()
    user = person if kind in (JobKind.CREATE_USER, JobKind.RESET_PASSWORD) else None
    secret = encrypt_secret("Concurrent-pw-77!") if user else ""
    jobs = twins(kind, org, user=user, secret=secret)
    if kind == JobKind.DELETE_USER:
        for job in jobs:
            job.payload = {"directory_guid": str(person.directory_guid), "upn": person.upn}
            job.save()

    outcomes = run_twice_at_once(jobs)

    assert outcomes == ["succeeded", "succeeded"], list(Job.objects.values_list("error"))
    users = subtree(ldap, test_ou, "user")
    if kind == JobKind.DEPROVISION_ORGANISATION:
        assert subtree(ldap, test_ou, "organizationalUnit") != []  # the test OU itself
        assert users == [] and subtree(ldap, test_ou, "group") == []
        return
    assert len(subtree(ldap, test_ou, "organizationalUnit")) == 5
    assert len(subtree(ldap, test_ou, "group")) == 2
    expected = 1 if kind == JobKind.DELETE_USER else 2
    if kind in (JobKind.UPDATE_ORGANISATION, JobKind.REPAIR_ORGANISATION):
        expected = 2 if kind == JobKind.REPAIR_ORGANISATION else 1
    assert len(users) == expected
