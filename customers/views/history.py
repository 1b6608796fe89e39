"""History: every change to a customer, its domains, contacts and grants (django-simple-
history), with who, when, and each field's value before and after."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.views import visible_or_404
from customers.actions.api_keys import described_key
from customers.actions.organisations import RELATIONS_REASON
from customers.models import Contact, CustomerEmail, Domain, Organisation, RoleGrant, User
from customers.views.common import StaffNames, page_context

SHOWN = 200
WHO = ("history_user", "history_acting_actor")
ACTIONS = {"+": "Created", "~": "Changed", "-": "Deleted"}
IGNORED = {"id", "history_id", "history_date", "history_change_reason", "history_type"}
IGNORED |= {"history_user", "history_user_id", "created", "updated", "parent", "created_by"}
IGNORED |= {"directory_guid", "lft", "rght", "tree_id", "level", "sent_by"}
IGNORED |= {"history_acting_actor"}
# A user's own history: what the account's page shows (never the password: not recorded).
IGNORED |= {"date_joined", "is_staff", "is_superuser", "must_change_password"}
IGNORED |= {"directory_sam_account_name"}


@dataclass
class Change:
    field: str
    before: str
    after: str


@dataclass
class Event:
    when: datetime
    who: str
    subject: str
    label: str
    action: str
    changes: list[Change]


def _value(record, field) -> str:
    value = getattr(record, field.attname)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    return str(value)


def _relation_changes(record) -> list[Change]:
    """Tag and role edits, recorded as a change reason by ``record_relation_changes``."""
    reason = getattr(record, "history_change_reason", None) or ""
    if not reason.startswith(RELATIONS_REASON):
        return []
    return [Change(*triple) for triple in json.loads(reason[len(RELATIONS_REASON) :])]


def _events(records, subject: str, label_of, names: dict, name_of: StaffNames) -> list[Event]:
    """Diff each historical record against the previous one of the same object, in memory
    (simple-history's ``prev_record`` would cost a query per row)."""
    events = []
    previous: dict[int, object] = {}
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        fields = [f for f in record._meta.fields if f.name not in IGNORED]
        before = previous.get(record.id)
        changes = []
        for field in fields:
            if field.name in ("organisation", "user", "role", "granted_by"):
                after_value = names.get((field.name, getattr(record, field.attname)), "—")
                before_value = (
                    names.get((field.name, getattr(before, field.attname)), "—") if before else "—"
                )
            else:
                after_value = _value(record, field)
                before_value = _value(before, field) if before else "—"
            if record.history_type == "-":
                continue
            if before is None or before_value != after_value:
                changes.append(Change(str(field.verbose_name), before_value, after_value))
        changes.extend(_relation_changes(record))
        if record.history_type == "~" and not changes:
            previous[record.id] = record
            continue
        who = name_of(record.history_user, username=True)
        acting_actor = getattr(record, "history_acting_actor", None)
        if acting_actor is not None:
            # Login to CP: the real person first, then the account they acted as.
            who = _("%(actor)s acting as %(target)s") % {
                "actor": name_of(acting_actor, username=True),
                "target": who,
            }
        key = described_key(getattr(record, "history_change_reason", None))
        if key is not None:
            who = _("key %(key)s of %(owner)s") % {"key": key, "owner": who}
        events.append(
            Event(
                when=record.history_date,
                who=who,
                subject=subject,
                label=label_of(record),
                action=ACTIONS.get(record.history_type, record.history_type),
                changes=changes,
            )
        )
        previous[record.id] = record
    return events


@login_required
def customer_history(request, pk: int):
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    names: dict = {}
    name_of = StaffNames(request.user)
    grants = list(
        RoleGrant.history.filter(organisation_id=pk).select_related(
            "history_user", "history_acting_actor", "user", "role"
        )
    )
    for grant in grants:
        names[("user", grant.user_id)] = name_of(grant.user) if grant.user else f"#{grant.user_id}"
        names[("role", grant.role_id)] = str(grant.role) if grant.role else f"#{grant.role_id}"
    names[("organisation", organisation.pk)] = organisation.name
    events = (
        _events(
            Organisation.history.filter(id=pk).select_related(*WHO),
            "Customer",
            lambda r: r.name,
            names,
            name_of,
        )
        + _events(
            Domain.history.filter(organisation_id=pk).select_related(*WHO),
            "Domain",
            lambda r: r.name,
            names,
            name_of,
        )
        + _events(
            Contact.history.filter(organisation_id=pk).select_related(*WHO),
            "Contact",
            lambda r: r.name,
            names,
            name_of,
        )
        + _events(
            User.history.filter(organisation_id=pk).select_related(*WHO),
            "User",
            lambda r: r.username,
            names,
            name_of,
        )
        + _events(
            CustomerEmail.history.filter(organisation_id=pk).select_related(*WHO),
            "E-mail",
            lambda r: r.subject,
            names,
            name_of,
        )
        + _events(
            grants, "Role grant", lambda r: names.get(("role", r.role_id), ""), names, name_of
        )
    )
    events.sort(key=lambda e: e.when, reverse=True)
    context = page_context(request, organisation, "history")
    context["events"] = events[:SHOWN]
    return render(request, "customers/history.html", context)


def user_history(person: User, viewer) -> list[Event]:
    """The changes to one user's account, newest first (the user page's History)."""
    name_of = StaffNames(viewer)
    names = {("organisation", person.organisation_id): str(person.organisation or "")}
    events = _events(
        User.history.filter(id=person.pk).select_related(*WHO),
        "User",
        lambda r: r.username,
        names,
        name_of,
    )
    events.sort(key=lambda e: e.when, reverse=True)
    return events[:SHOWN]
