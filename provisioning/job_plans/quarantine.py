"""Accounts and groups in a tenant's OU that the portal does not know ("strays"): found by
reconcile, set aside by a repair, and the decisions people take about them afterwards.

A stray is never deleted by a repair: someone may have made it on purpose. It is disabled
(a group loses its security), described with when and why, moved into the tenant's
Quarantine OU and listed on the customer's page, where a person adopts it into the portal
or deletes it for good (`QUARANTINE_DECISION` jobs).
"""

from __future__ import annotations

import uuid

from django.utils import timezone
from django.utils.translation import gettext as _
from ldap3 import Connection

from core.jobs import JobKind
from core.models import Job, QuarantinedObject, QuarantineState
from customers.models import Organisation, User
from directory import (
    Found,
    LevelRead,
    accounts_and_groups_below,
    delete_quarantined,
    dn_of,
    ou_dn,
    quarantine,
    quarantine_dn,
    release,
)
from provisioning.engine.context import StepContext
from provisioning.engine.errors import JobFailed
from provisioning.job_plans import steps
from provisioning.job_plans.base import Step, register
from provisioning.job_plans.layout import Layout
from provisioning.models import DirectoryObject


def where_now(conn: Connection, layout_: Layout, organisation: Organisation) -> str:
    """The organisation's OU: where its GUID is now, else where the layout puts it."""
    if organisation.directory_guid is not None:
        found = dn_of(conn, organisation.directory_guid)
        if found:
            return found
    return layout_.organisation_dn(organisation)


def known_among(organisation: Organisation, guids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of `guids` (found in the organisation's OU) the portal made or knows: its
    users' accounts and the OUs, groups and policy it remembers. Asked a thousand at a time
    about what was found, never by loading every GUID of a tenant of 10,000."""
    known: set[uuid.UUID] = set()
    for start in range(0, len(guids), 1000):
        chunk = guids[start : start + 1000]
        users = organisation.users.filter(directory_guid__in=chunk)
        made = DirectoryObject.objects.filter(organisation=organisation, guid__in=chunk)
        known.update(users.values_list("directory_guid", flat=True))
        known.update(made.values_list("guid", flat=True))
    return known


def unknown_below(
    conn: Connection,
    organisation_dn: str,
    organisation: Organisation,
    already: dict[str, LevelRead] | None = None,
) -> tuple[list[Found], list[Found]]:
    """Accounts and groups below the organisation's OU that it does not know, leaving out its
    customers' OUs (theirs to check) and its Quarantine OU (already set aside): (strays,
    others'). An object the portal knows as another organisation's (moved here by hand) is
    not a stray: it is reported, never quarantined, so one tenant's repair cannot disable
    another tenant's user."""
    skip = [quarantine_dn(organisation_dn)]
    for child in organisation.get_children():
        skip.append(ou_dn(organisation_dn, child.code))
        if child.directory_guid is not None:
            moved = dn_of(conn, child.directory_guid)
            if moved:
                skip.append(moved)
    below = accounts_and_groups_below(conn, organisation_dn, skip=skip, already=already)
    known = known_among(organisation, [found.guid for found in below])
    unknown = [found for found in below if found.guid not in known]
    del below
    guids = [found.guid for found in unknown]
    elsewhere = set(
        User.objects.filter(directory_guid__in=guids).values_list("directory_guid", flat=True)
    ) | set(DirectoryObject.objects.filter(guid__in=guids).values_list("guid", flat=True))
    return (
        [found for found in unknown if found.guid not in elsewhere],
        [found for found in unknown if found.guid in elsewhere],
    )


def strays(conn: Connection, organisation_dn: str, organisation: Organisation) -> list[Found]:
    """What a repair quarantines: the organisation's unknown objects nobody else owns."""
    return unknown_below(conn, organisation_dn, organisation)[0]


def quarantine_note() -> str:
    return _("Quarantined by Canopy on %(date)s: not in the portal") % {
        "date": timezone.now().date().isoformat()
    }


def quarantine_strays(organisation: Organisation, job: Job | None = None) -> Step:
    """Set aside every stray of the organisation (after the repair steps, so an account
    the repair just found again by UPN is known by then)."""

    def run(ctx: StepContext) -> None:
        organisation_dn = where_now(ctx.conn, ctx.layout, organisation)
        found = strays(ctx.conn, organisation_dn, organisation)
        note = quarantine_note()
        for stray in found:
            moved = quarantine(ctx.conn, stray.guid, organisation_dn, note)
            QuarantinedObject.objects.update_or_create(
                organisation=organisation,
                guid=stray.guid,
                defaults={
                    "kind": moved.kind,
                    "name": moved.name[:256],
                    "upn": (moved.upn or "")[:256],
                    "details": {
                        "given_name": moved.given_name,
                        "surname": moved.surname,
                        "display_name": moved.display_name,
                        "mail": moved.mail,
                    },
                    "dn": moved.dn[:1024],
                    "reason": note,
                    "state": QuarantineState.QUARANTINED,
                    "job": job,
                    "decided_at": None,
                    "decided_by": None,
                },
            )
            ctx.touched(moved.dn)
        ctx.note(f"{len(found)} set aside in the Quarantine OU" if found else "none")

    return Step(f"Quarantine what the portal does not know in {organisation.code}", run)


# --- decisions --------------------------------------------------------------------------------


def _item(job: Job) -> QuarantinedObject:
    item = (
        QuarantinedObject.objects.select_related("organisation")
        .filter(pk=job.payload.get("item"))
        .first()
    )
    if item is None:
        raise JobFailed("The quarantined object of this job is no longer listed.")
    return item


def _deleted(job: Job) -> None:
    QuarantinedObject.objects.filter(
        pk=job.payload.get("item"), state=QuarantineState.DELETING
    ).update(state=QuarantineState.DELETED)


def _delete_failed(job: Job) -> None:
    QuarantinedObject.objects.filter(
        pk=job.payload.get("item"), state=QuarantineState.DELETING
    ).update(state=QuarantineState.QUARANTINED, decided_at=None, decided_by=None)


@register(JobKind.QUARANTINE_DECISION, on_success=_deleted, on_failure=_delete_failed)
def quarantine_decision(job: Job) -> list[Step]:
    """Carry out a decision about a quarantined object: delete it for good, or release an
    adopted account (its note cleared; the account's own job moves it into Users)."""
    item = _item(job)
    organisation = steps.require_provisioned(item.organisation)
    decision = job.payload.get("decision")

    def delete(ctx: StepContext) -> None:
        organisation_dn = where_now(ctx.conn, ctx.layout, organisation)
        gone = delete_quarantined(ctx.conn, item.guid, organisation_dn)
        ctx.note("deleted" if gone else "already gone")
        ctx.touched(item.dn)

    def adopt(ctx: StepContext) -> None:
        organisation_dn = where_now(ctx.conn, ctx.layout, organisation)
        ctx.touched(release(ctx.conn, item.guid, organisation_dn))

    if decision == "delete":
        return [Step(f"Delete {item.name} for good", delete)]
    if decision == "adopt":
        return [Step(f"Take {item.name} out of quarantine", adopt)]
    raise JobFailed(f"Unknown decision {decision!r}.")
