"""Small helpers for reading the directory in engine tests."""

from __future__ import annotations

from directory import list_children, ops, read_entry
from directory.entry import texts
from provisioning.engine import run_job
from provisioning.models import Job


def run(job: Job) -> Job:
    """Run a job in this process, as a worker would, and return it fresh."""
    run_job(job.pk)
    job.refresh_from_db()
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


__all__ = ["list_children", "names", "read_entry", "run", "run_until_done", "subtree", "texts"]
