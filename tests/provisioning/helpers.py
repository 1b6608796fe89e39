"""Small helpers for reading the directory in engine tests."""

from __future__ import annotations

from core.actors import SYSTEM
from core.jobs import JobKind
from core.models import Job, JobState
from customers.actions.lifecycle import provision_organisation
from customers.actions.users import user_job
from directory import list_children, ops, read_entry
from directory.entry import texts
from provisioning.engine.runner import run_job
from tests.fixtures.directory_tenants import ADMIN_PASSWORD


def run(job: Job) -> Job:
    """Run a job in this process, as a worker would, and return it fresh."""
    run_job(job.pk)
    job.refresh_from_db()
    return job


def provision(customer, admin):
    """Provision ``customer`` and create ``admin``'s account with ADMIN_PASSWORD, as a worker
    would; both must succeed. Returns the provisioning job."""
    job = run(provision_organisation(actor=SYSTEM, organisation=customer))
    assert job.state == JobState.SUCCEEDED, job.error
    password_job = run(
        user_job(kind=JobKind.CREATE_USER, actor=SYSTEM, user=admin, password=ADMIN_PASSWORD)
    )
    assert password_job.state == JobState.SUCCEEDED, password_job.error
    customer.refresh_from_db()
    admin.refresh_from_db()
    return job


def run_until_done(job: Job, limit: int = 20) -> Job:
    """Run again while it is re-queued after a transient error (no backoff wait)."""
    for _ in range(limit):
        job = run(job)
        if job.is_finished:
            return job
        Job.objects.filter(pk=job.pk).update(run_after=None)
    return job


def subtree(conn, base: str, object_class: str | None = None) -> list[dict]:
    """Every entry below ``base`` (optionally of one class)."""
    from ldap3 import SUBTREE

    from directory.dn import eq

    filter_ = eq("objectClass", object_class) if object_class else "(objectClass=*)"
    return ops.search(conn, base, filter_, scope=SUBTREE, attributes=["objectClass", "cn", "ou"])


def names(entries) -> list[str]:
    return sorted(entry["dn"] for entry in entries)


__all__ = [
    "list_children",
    "names",
    "provision",
    "read_entry",
    "run",
    "run_until_done",
    "subtree",
    "texts",
]


SNAPSHOT_ATTRIBUTES = [
    "description",
    "member",
    "userAccountControl",
    "displayName",
    "userPrincipalName",
    "givenName",
    "sn",
    "mail",
    "sAMAccountName",
]


def snapshot(conn, base: str, *, codes=(), base_dn: str = "", domains=()) -> dict:
    """What the directory holds for a test: every entry below ``base`` (by GUID, with its
    DN and attributes), the password policies of ``codes`` and which ``domains`` are
    accepted UPN suffixes."""
    from ldap3 import SUBTREE

    from directory import list_upn_suffixes
    from directory.dn import cn_dn, dn_key
    from directory.policy import password_settings_container
    from provisioning.job_plans import layout

    entries = ops.search(conn, base, scope=SUBTREE, attributes=SNAPSHOT_ATTRIBUTES)
    state = {
        entry["guid"]: (
            dn_key(entry["dn"]),
            {
                attr: sorted(str(dn_key(v)) if attr == "member" else v for v in texts(entry, attr))
                for attr in SNAPSHOT_ATTRIBUTES
            },
        )
        for entry in entries
    }
    container = password_settings_container(conn)
    for code in codes:
        entry = read_entry(conn, cn_dn(container, layout.policy_name(code)))
        state[f"policy:{code}"] = None if entry is None else entry["guid"]
    if base_dn:
        accepted = {s.lower() for s in list_upn_suffixes(conn, base_dn)}
        for domain in domains:
            state[f"suffix:{domain}"] = domain.lower() in accepted
    return state
