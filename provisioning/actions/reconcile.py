"""Reconciliation: does the directory still hold what the portal says?

`check_organisation` compares one provisioned organisation with AD and lists the drift:

- missing: an OU, group, password policy, UPN suffix or account the portal expects;
- different: an object renamed or moved (found again by its objectGUID), a description,
  account attribute, enabled state, policy setting or group membership that differs;
- extra: accounts in its Users OU and groups in its Groups OU the portal does not know,
  and group members that should not be there.

Repair is a ``repair_organisation`` job (`request_repair`): the full provisioning plan
applied again, which puts renamed objects back, recreates missing ones, corrects
attributes and sets memberships exactly. Extra accounts and groups are reported, never
deleted: someone may have made them on purpose.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from ldap3 import Connection

from core.actors import SYSTEM
from customers.models import Organisation, Status, User
from directory import (
    DirectoryError,
    find_by_guid,
    find_user_by_guid,
    find_user_by_upn,
    get_connection,
    get_members,
    list_children,
    list_upn_suffixes,
    read_entry,
)
from directory.dn import cn_dn, dn_key, ou_dn, parent_of
from directory.entry import Entry, integer, text, texts
from directory.placement import attribute_changes
from directory.policy import password_settings_container
from provisioning.actions.jobs import request_repair
from provisioning.engine.connection import DirectoryNotConfigured, directory_config
from provisioning.job_plans import layout, steps
from provisioning.job_plans.layout import Layout
from provisioning.models import DirectoryObject

logger = logging.getLogger("provisioning.actions.reconcile")

MISSING, DIFFERENT, EXTRA = "missing", "different", "extra"
ACCOUNTDISABLE = 0x0002
USER_ATTRIBUTES = [
    "userPrincipalName",
    "sAMAccountName",
    "givenName",
    "sn",
    "displayName",
    "mail",
    "userAccountControl",
]


@dataclass(frozen=True)
class Drift:
    """One difference between the portal and the directory."""

    kind: str  # missing / different / extra
    what: str  # "OU", "group", "account", "membership", "password policy", "UPN suffix"
    name: str
    detail: str = ""


@dataclass
class Report:
    organisation: Organisation
    drift: list[Drift] = field(default_factory=list)
    checked: int = 0
    error: str = ""

    @property
    def in_step(self) -> bool:
        return not self.error and not self.drift

    def add(self, kind: str, what: str, name: str, detail: str = "") -> None:
        self.drift.append(Drift(kind, what, name, detail))


class _Checker:
    def __init__(self, conn: Connection, layout_: Layout, report: Report) -> None:
        self.conn = conn
        self.layout = layout_
        self.report = report
        self.organisation = report.organisation
        # Where the organisation's OU is now: its children are expected below it there, so
        # a renamed OU is one difference, not one per object inside it.
        self.org_dn = layout_.organisation_dn(self.organisation)

    @property
    def users_ou(self) -> str:
        return ou_dn(self.org_dn, layout.USERS_OU)

    @property
    def groups_ou(self) -> str:
        return ou_dn(self.org_dn, layout.GROUPS_OU)

    def group_dn(self, name: str) -> str:
        return cn_dn(self.groups_ou, name)

    def located(self, what: str, name: str, expected_dn: str, guid: uuid.UUID | None, attrs):
        """The entry (by GUID, else at its DN); reports missing / moved / recreated."""
        self.report.checked += 1
        entry = find_by_guid(self.conn, guid, attrs) if guid is not None else None
        if entry is None:
            entry = read_entry(self.conn, expected_dn, attrs)
            if entry is None:
                self.report.add(MISSING, what, name, f"expected at {expected_dn}")
                return None
            if guid is not None:
                self.report.add(DIFFERENT, what, name, "deleted and made again by someone else")
        elif dn_key(entry["dn"]) != dn_key(expected_dn):
            self.report.add(DIFFERENT, what, name, f"renamed or moved to {entry['dn']}")
        return entry

    def organisation_ou(self) -> None:
        org = self.organisation
        entry = self.located(
            "OU",
            org.code,
            self.layout.organisation_dn(org),
            org.directory_guid,
            ["description"],
        )
        if entry is not None:
            self.org_dn = entry["dn"]
        if entry is not None and text(entry, "description") != org.name:
            self.report.add(
                DIFFERENT,
                "OU",
                org.code,
                f"description is {text(entry, 'description')!r}, the portal says {org.name!r}",
            )

    def recalled(self, key: str) -> uuid.UUID | None:
        return layout.recalled_guid(self.organisation, key)

    def sub_ous(self) -> None:
        self.located("OU", "Users", self.users_ou, self.recalled(layout.KEY_USERS_OU), [])
        self.located("OU", "Groups", self.groups_ou, self.recalled(layout.KEY_GROUPS_OU), [])

    def groups(self) -> dict[str, Entry | None]:
        org = self.organisation
        found = {}
        for key, name in (
            (layout.KEY_ALL_USERS, layout.all_users_group(org.code)),
            (layout.KEY_ADMINS, layout.admins_group(org.code)),
        ):
            found[key] = self.located(
                "group", name, self.group_dn(name), self.recalled(key), ["cn"]
            )
        known = set(
            DirectoryObject.objects.filter(organisation=org, key__startswith="group:")
            .exclude(guid=None)
            .values_list("guid", flat=True)
        )
        try:
            groups = list_children(self.conn, self.groups_ou, "group", ["cn"])
        except DirectoryError:
            groups = []
        for entry in groups:
            if entry["guid"] not in known:
                self.report.add(EXTRA, "group", text(entry, "cn") or entry["dn"], entry["dn"])
        return found

    def policy(self, all_users: Entry | None) -> None:
        org = self.organisation
        name = layout.policy_name(org.code)
        dn = cn_dn(password_settings_container(self.conn), name)
        wanted = steps.password_policy_of(org).attributes()
        self.report.checked += 1
        entry = read_entry(self.conn, dn, [*wanted, "msDS-PSOAppliesTo"])
        if entry is None:
            self.report.add(MISSING, "password policy", name)
            return
        for attr, value in wanted.items():
            if texts(entry, attr) != [value]:
                self.report.add(
                    DIFFERENT,
                    "password policy",
                    name,
                    f"{attr} is {texts(entry, attr)}, not {value}",
                )
        targets = {dn_key(t) for t in texts(entry, "msDS-PSOAppliesTo")}
        if all_users is not None and targets != {dn_key(all_users["dn"])}:
            self.report.add(
                DIFFERENT, "password policy", name, "does not apply to exactly the AllUsers group"
            )

    def suffixes(self) -> None:
        have = {s.lower() for s in list_upn_suffixes(self.conn, self.layout.config.base_dn)}
        for domain in steps.domains_of(self.organisation):
            self.report.checked += 1
            if domain.lower() not in have:
                self.report.add(MISSING, "UPN suffix", domain)

    def users(self) -> dict[int, Entry]:
        org = self.organisation
        users_ou = self.users_ou
        try:
            in_ou = list_children(self.conn, users_ou, "user", USER_ATTRIBUTES)
        except DirectoryError:
            in_ou = []
        by_guid = {entry["guid"]: entry for entry in in_ou}
        matched: dict[int, Entry] = {}
        for user in org.users.select_related("organisation").order_by("pk"):
            self.report.checked += 1
            entry = by_guid.get(user.directory_guid) if user.directory_guid else None
            if entry is None and user.directory_guid:
                entry = find_user_by_guid(self.conn, user.directory_guid, USER_ATTRIBUTES)
            if entry is None:
                entry = find_user_by_upn(self.conn, steps.upn_of(user), USER_ATTRIBUTES)
                if entry is not None and user.directory_guid:
                    self.report.add(
                        DIFFERENT,
                        "account",
                        user.username,
                        "deleted and made again by someone else",
                    )
            if entry is None:
                self.report.add(MISSING, "account", user.username, f"expected in {users_ou}")
                continue
            matched[user.pk] = entry
            self.account(user, entry, users_ou)
        known = {entry["guid"] for entry in matched.values()}
        for entry in in_ou:
            if entry["guid"] not in known:
                name = text(entry, "userPrincipalName") or text(entry, "sAMAccountName") or ""
                self.report.add(EXTRA, "account", name, entry["dn"])
        return matched

    def account(self, user: User, entry: Entry, users_ou: str) -> None:
        if dn_key(parent_of(entry["dn"])) != dn_key(users_ou):
            self.report.add(DIFFERENT, "account", user.username, f"moved to {entry['dn']}")
        changes = attribute_changes(entry, steps.user_spec(user).desired())
        for attr in sorted(changes):
            self.report.add(
                DIFFERENT,
                "account",
                user.username,
                f"{attr} is {texts(entry, attr) or 'empty'}, the portal says "
                f"{changes[attr][0][1] or 'empty'}",
            )
        enabled = not (integer(entry, "userAccountControl") or 0) & ACCOUNTDISABLE
        if enabled != steps.account_enabled(user):
            self.report.add(
                DIFFERENT,
                "account",
                user.username,
                "enabled, the portal says disabled"
                if enabled
                else "disabled, the portal says enabled",
            )

    def memberships(self, groups: dict[str, Entry | None], accounts: dict[int, Entry]) -> None:
        users = {user.pk: user for user in self.organisation.users.all()}
        for key, admins_only in ((layout.KEY_ALL_USERS, False), (layout.KEY_ADMINS, True)):
            group = groups.get(key)
            if group is None:
                continue
            name = text(group, "cn") or group["dn"]
            wanted = {
                dn_key(entry["dn"]): users[pk].username
                for pk, entry in accounts.items()
                if users[pk].is_admin or not admins_only
            }
            have = {dn_key(dn): dn for dn in get_members(self.conn, group["dn"])}
            for member_key, username in wanted.items():
                if member_key not in have:
                    self.report.add(MISSING, "membership", f"{username} in {name}")
            for member_key, dn in have.items():
                if member_key not in wanted:
                    self.report.add(EXTRA, "membership", f"{dn} in {name}")


def check_organisation(organisation: Organisation) -> Report:
    """Compare a provisioned organisation with the directory (reads only)."""
    report = Report(organisation=organisation)
    if organisation.directory_guid is None:
        report.error = f"{organisation.name} is not provisioned in the directory; nothing to check."
        return report
    try:
        config = directory_config()
    except DirectoryNotConfigured as exc:
        report.error = str(exc)
        return report
    try:
        checker = _Checker(get_connection(config), Layout(config), report)
        checker.organisation_ou()
        checker.sub_ous()
        groups = checker.groups()
        checker.policy(groups.get(layout.KEY_ALL_USERS))
        checker.suffixes()
        accounts = checker.users()
        checker.memberships(groups, accounts)
    except DirectoryError as exc:
        report.error = f"The directory could not be checked: {exc}"
    except Exception as exc:  # a JobFailed from the layout helpers (no UPN ...)
        report.error = str(exc)
        logger.warning("checking %s failed", organisation.code, exc_info=True)
    return report


def organisations_to_check():
    return Organisation.objects.filter(
        directory_guid__isnull=False, status__in=[Status.ACTIVE, Status.SUSPENDED]
    ).order_by("tree_id", "lft")


def reconcile_all(*, repair: bool = False) -> dict[str, int]:
    """Check every provisioned organisation; log drift; optionally start repair jobs."""
    counts = {"checked": 0, "drifted": 0, "errors": 0, "repairs": 0}
    for organisation in organisations_to_check():
        report = check_organisation(organisation)
        counts["checked"] += 1
        if report.error:
            counts["errors"] += 1
            logger.warning("reconcile %s: %s", organisation.code, report.error)
        elif report.drift:
            counts["drifted"] += 1
            logger.warning(
                "reconcile %s: %d difference(s): %s",
                organisation.code,
                len(report.drift),
                "; ".join(
                    f"{d.kind} {d.what} {d.name} {d.detail}".strip() for d in report.drift[:20]
                ),
            )
            if repair:
                request_repair(actor=SYSTEM, organisation=organisation)
                counts["repairs"] += 1
    return counts
