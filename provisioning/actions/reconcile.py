"""Reconciliation: does the directory still hold what the portal says?

`check_organisation` compares one provisioned organisation with AD and lists the drift:

- missing: an OU, group, password policy, UPN suffix or account the portal expects;
- different: an object renamed or moved (found again by its objectGUID), a description,
  account attribute, enabled state, policy setting or group membership that differs, and
  what services write on their users' accounts (mail addresses with the e-mail aliases,
  home folders);
- extra: accounts and groups anywhere in its OU the portal does not know (strays), group
  members that should not be there, and a UPN suffix Canopy added for a domain the
  organisation no longer has (an account still signing in with such a domain is reported
  as well).

Repair (a ``repair_organisation`` job, or a ``reconcile`` job in repair mode) applies the
full provisioning plan again, which puts renamed objects back, recreates missing ones,
corrects attributes and sets memberships exactly, then quarantines the strays: disabled,
described, moved to the tenant's Quarantine OU, never deleted (someone may have made them
on purpose; a person decides on the customer's page).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ldap3 import Connection

from core.jobs import JobKind
from core.models import DriftReport, Job, JobState
from core.scoping import within
from customers.models import (
    CustomerService,
    Domain,
    Organisation,
    Status,
    SubscriptionStatus,
    User,
    UserService,
)
from directory import (
    Account,
    DirectoryError,
    Entry,
    Found,
    LevelRead,
    NoSuchObjectError,
    ObjectSummary,
    account_differences,
    check_password_policy,
    cn_dn,
    count_members,
    default_naming_context,
    dn_key,
    find_account_by_guid,
    find_account_by_upn,
    get_connection,
    guids_below,
    is_container,
    level_pages,
    list_upn_suffixes,
    member_pages,
    ou_dn,
    parent_of,
    read_entry,
    summarise,
    texts,
)
from provisioning.actions.jobs import RECONCILE_REPAIR, RECONCILE_REPORT, request_reconcile
from provisioning.drivers import AccountValues, UnknownServiceDriver, driver_for
from provisioning.engine.connection import DirectoryNotConfigured, directory_config
from provisioning.engine.errors import JobFailed
from provisioning.job_plans import layout, steps
from provisioning.job_plans.layout import Layout
from provisioning.job_plans.quarantine import unknown_below
from provisioning.models import DirectoryObject

logger = logging.getLogger("provisioning.actions.reconcile")

MISSING, DIFFERENT, EXTRA = "missing", "different", "extra"


Progress = Callable[[int, int], None]


# Portal users whose accounts are looked for in one search, when some were not on the
# pages of the Users OU (a search naming 500 GUIDs).
LOOKUP_CHUNK = 500


@dataclass
class _Tally:
    """One of the organisation's fixed groups (AllUsers, Admins) while the accounts stream
    past: each matched account says from its ``memberOf`` whether it is in the group, and
    this counts those that are; the group's member count then tells whether anything else
    is in it, without holding a key per member."""

    group: ObjectSummary
    admins_only: bool
    key: Any
    in_group: int = 0

    @property
    def name(self) -> str:
        return self.group.cn or self.group.dn


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
        self.users_level: LevelRead | None = None
        self.matched = 0
        self._group_keys: dict[str, Any] = {}
        # The domains its users may sign in with (its own verified ones, its ancestors').
        self.domains = {
            name.lower()
            for name in Domain.objects.filter(
                organisation__in=self.organisation.get_ancestors(include_self=True),
                verified_at__isnull=False,
            ).values_list("name", flat=True)
        }

    @property
    def users_ou(self) -> str:
        return ou_dn(self.org_dn, layout.USERS_OU)

    @property
    def groups_ou(self) -> str:
        return ou_dn(self.org_dn, layout.GROUPS_OU)

    def group_dn(self, name: str) -> str:
        return cn_dn(self.groups_ou, name)

    def located(
        self, what: str, name: str, expected_dn: str, guid: uuid.UUID | None
    ) -> ObjectSummary | None:
        """The object (by GUID, else at its DN); reports missing / moved / recreated."""
        self.report.checked += 1
        found = summarise(self.conn, guid) if guid is not None else None
        if found is None:
            found = summarise(self.conn, expected_dn)
            if found is None:
                self.report.add(MISSING, what, name, f"expected at {expected_dn}")
                return None
            if guid is not None:
                self.report.add(DIFFERENT, what, name, "deleted and made again by someone else")
        elif dn_key(found.dn) != dn_key(expected_dn):
            self.report.add(DIFFERENT, what, name, f"renamed or moved to {found.dn}")
        return found

    def organisation_ou(self) -> None:
        org = self.organisation
        found = self.located("OU", org.code, self.layout.organisation_dn(org), org.directory_guid)
        if found is not None:
            self.org_dn = found.dn
        if found is not None and found.description != org.name:
            self.report.add(
                DIFFERENT,
                "OU",
                org.code,
                f"description is {found.description!r}, the portal says {org.name!r}",
            )

    def recalled(self, key: str) -> uuid.UUID | None:
        return layout.recalled_guid(self.organisation, key)

    def sub_ous(self) -> None:
        self.located("OU", "Users", self.users_ou, self.recalled(layout.KEY_USERS_OU))
        self.located("OU", "Groups", self.groups_ou, self.recalled(layout.KEY_GROUPS_OU))

    def groups(self) -> dict[str, ObjectSummary | None]:
        org = self.organisation
        found = {}
        for key, name in (
            (layout.KEY_ALL_USERS, layout.all_users_group(org.code)),
            (layout.KEY_ADMINS, layout.admins_group(org.code)),
        ):
            found[key] = self.located("group", name, self.group_dn(name), self.recalled(key))
        fixed = {layout.KEY_ALL_USERS, layout.KEY_ADMINS}
        # Service groups: the repair's service steps make them again when they are deleted.
        for made in DirectoryObject.objects.filter(
            organisation=org, key__startswith="group:"
        ).order_by("key"):
            if made.key not in fixed:
                found[made.key] = self.located(
                    "group", made.name, self.group_dn(made.name), made.guid
                )
        return found

    def policy(self, all_users: ObjectSummary | None) -> None:
        org = self.organisation
        name = layout.policy_name(org.code)
        policy = steps.password_policy_of(org)
        self.report.checked += 1
        check = check_password_policy(self.conn, name, policy)
        if check is None:
            self.report.add(MISSING, "password policy", name)
            return
        for difference in check.differences:
            self.report.add(
                DIFFERENT,
                "password policy",
                name,
                f"{difference.attribute} is {difference.current}, not {difference.wanted[0]}",
            )
        if all_users is not None and not check.applies_exactly_to([all_users.dn]):
            self.report.add(
                DIFFERENT, "password policy", name, "does not apply to exactly the AllUsers group"
            )

    def suffixes(self) -> None:
        """Every verified domain is a UPN suffix of the forest; a suffix Canopy added for
        a domain the organisation no longer has (removed, while the update job that takes
        it away failed, never ran or lost its message) is one too many. A suffix Canopy did
        not add (the forest had it before) is not remembered, so never reported: repair
        leaves it alone."""
        org = self.organisation
        have = {s.lower() for s in list_upn_suffixes(self.conn, self.layout.config.base_dn)}
        wanted = {domain.lower() for domain in steps.domains_of(org)}
        for domain in steps.domains_of(org):
            self.report.checked += 1
            if domain.lower() not in have:
                self.report.add(MISSING, "UPN suffix", domain)
        left = {name.lower() for name in layout.remembered_suffixes(org)} - wanted
        left -= steps.suffixes_in_use_elsewhere(org, left)  # another's now: repair keeps it
        for name in sorted(left & have):
            self.report.checked += 1
            self.report.add(
                EXTRA, "UPN suffix", name, f"left after {name} stopped being a domain of {org.code}"
            )

    def tallies(self, groups: dict[str, ObjectSummary | None]) -> list[_Tally]:
        found = []
        for key, admins_only in ((layout.KEY_ALL_USERS, False), (layout.KEY_ADMINS, True)):
            group = groups.get(key)
            if group is not None:
                found.append(_Tally(group, admins_only, dn_key(group.dn)))
        return found

    def member_of(self, entry: Entry) -> set[Any]:
        """The keys of the groups an account is directly in (a handful of group DNs, each
        parsed once per check)."""
        keys = set()
        for value in texts(entry, "memberOf"):
            key = self._group_keys.get(value)
            if key is None:
                key = self._group_keys[value] = dn_key(value)
            keys.add(key)
        return keys

    def users(self, tallies: list[_Tally], progress: Progress | None = None) -> None:
        """Every account, compared a page at a time: the Users OU is read in pages of
        accounts (with their ``memberOf``), each page's portal users fetched by GUID in
        one query and compared there and then, attributes, memberships and what services
        write on the accounts (read with the page) alike, so memory
        holds one page, never a key per user. Only when fewer accounts matched than the
        portal has users are the others looked for (by GUID in chunks, then one by one
        anywhere by GUID, then by UPN, as before)."""
        org = self.organisation
        users_ou = self.users_ou
        people = org.users.filter(is_service_account=False)  # no directory account
        total = people.count()
        level = LevelRead(found=[], containers=[])
        writing, written = self.service_writers()
        try:
            for page in level_pages(self.conn, users_ou, also=["memberOf", *sorted(written)]):
                entries = []
                for entry in page:
                    if is_container(entry):
                        level.containers.append(entry["dn"])
                    elif "group" in {str(c).lower() for c in entry["attributes"]["objectClass"]}:
                        level.found.append(Found.from_entry(entry))
                    else:
                        entries.append(entry)
                portal = {
                    user.directory_guid: user
                    for user in people.filter(
                        directory_guid__in=[entry["guid"] for entry in entries]
                    )
                }
                for entry in entries:
                    user = portal.get(entry["guid"])
                    if user is None:
                        level.found.append(Found.from_entry(entry))
                        continue
                    user.organisation = org
                    # Read from the Users OU itself: in place, no DN to compare.
                    account = Account.from_entry(entry)
                    self.match(user, account, None, self.member_of(entry), tallies)
                if writing:
                    matched = {e["guid"]: e for e in entries if e["guid"] in portal}
                    self.service_attributes(writing, matched)
                del portal, entries
                if progress is not None:
                    progress(self.matched, total)
            self.users_level = level
        except NoSuchObjectError:
            pass  # the Users OU is missing: reported by sub_ous, every account below
        if self.matched < total:
            self.unmatched(people, tallies)
        if progress is not None:
            progress(self.matched, total)

    def unmatched(self, people, tallies: list[_Tally]) -> None:
        """The users whose accounts were not on the Users OU's pages: a chunk of users at a
        time, one search tells which of their GUIDs are there after all (made meanwhile);
        the rest are looked for anywhere."""
        org = self.organisation
        users_ou = self.users_ou
        chunk: list[User] = []

        def look(chunk: list[User]) -> None:
            present: set[uuid.UUID] = set()
            if self.users_level is not None:
                guids = [user.directory_guid for user in chunk if user.directory_guid]
                present = guids_below(self.conn, users_ou, guids)
            for user in chunk:
                if user.directory_guid in present:
                    continue  # compared on its page already (or made since: next time)
                user.organisation = org
                self.look_for(user, tallies)

        for user in people.order_by("pk").iterator(LOOKUP_CHUNK):
            chunk.append(user)
            if len(chunk) == LOOKUP_CHUNK:
                look(chunk)
                chunk = []
        if chunk:
            look(chunk)

    def look_for(self, user: User, tallies: list[_Tally]) -> None:
        users_ou = self.users_ou
        account = None
        if user.directory_guid:
            account = find_account_by_guid(self.conn, user.directory_guid)
        if account is None:
            account = find_account_by_upn(self.conn, steps.upn_of(user), base=users_ou)
            if account is not None and user.directory_guid:
                self.report.add(
                    DIFFERENT,
                    "account",
                    user.username,
                    "deleted and made again by someone else",
                )
        if account is None:
            self.report.checked += 1
            self.report.add(MISSING, "account", user.username, f"expected in {users_ou}")
            return
        entry = read_entry(self.conn, account.dn, ["memberOf"])
        groups = self.member_of(entry) if entry is not None else set()
        self.match(user, account, users_ou, groups, tallies)

    def match(
        self,
        user: User,
        account: Account,
        users_ou: str | None,
        groups: set[Any],
        tallies: list[_Tally],
    ) -> None:
        """Compare one account with its user; `users_ou` None when it was read there."""
        self.report.checked += 1
        self.matched += 1
        self.account(user, account, users_ou)
        for tally in tallies:
            inside = tally.key in groups
            wanted = user.is_admin or not tally.admins_only
            if inside:
                tally.in_group += 1
            if wanted and not inside:
                self.report.add(MISSING, "membership", f"{user.username} in {tally.name}")
            elif inside and not wanted:
                self.report.add(EXTRA, "membership", f"{account.dn} in {tally.name}")

    def strays(self) -> None:
        """Accounts and groups anywhere in the organisation's OU the portal does not know
        (a repair quarantines them)."""
        try:
            found, others = unknown_below(
                self.conn,
                self.org_dn,
                self.organisation,
                already={self.users_ou: self.users_level} if self.users_level else None,
            )
        except DirectoryError:
            return
        for stray in found:
            self.report.add(EXTRA, stray.kind, stray.upn or stray.name, stray.dn)
        for other in others:
            self.report.add(
                EXTRA,
                other.kind,
                other.upn or other.name,
                f"{other.dn}: another organisation's, moved here by hand (left alone)",
            )

    def account(self, user: User, account: Account, users_ou: str | None) -> None:
        if users_ou is not None and dn_key(parent_of(account.dn)) != dn_key(users_ou):
            self.report.add(DIFFERENT, "account", user.username, f"moved to {account.dn}")
        suffix = (account.upn or "").rpartition("@")[2].lower()
        if suffix and suffix not in self.domains:
            # Signing in with a domain the customer no longer has (its UPN move failed, or
            # someone gave it back by hand): the repair gives the account the portal's UPN.
            self.report.add(
                DIFFERENT,
                "UPN suffix",
                suffix,
                f"{user.username} still signs in with it; "
                f"it is no domain of {self.organisation.code}",
            )
        for difference in account_differences(account, steps.user_spec(user, steps.upn_of(user))):
            self.report.add(
                DIFFERENT,
                "account",
                user.username,
                f"{difference.attribute} is {difference.current or 'empty'}, the portal says "
                f"{difference.wanted or 'empty'}",
            )
        if account.enabled != steps.account_enabled(user):
            self.report.add(
                DIFFERENT,
                "account",
                user.username,
                "enabled, the portal says disabled"
                if account.enabled
                else "disabled, the portal says enabled",
            )

    def service_writers(self) -> tuple[dict[int, tuple[CustomerService, AccountValues]], set[str]]:
        """The organisation's subscriptions whose services write on their users' accounts
        (mail addresses, home folders), and the attributes they write."""
        org = self.organisation
        writing: dict[int, tuple[CustomerService, AccountValues]] = {}
        names: set[str] = set()
        subscriptions = (
            CustomerService.objects.filter(organisation=org)
            .exclude(status=SubscriptionStatus.DEPROVISIONING)
            .select_related("service", "plan", "organisation")
        )
        for subscription in subscriptions:
            try:
                driver = driver_for(subscription.service.service_type)
                values = driver.account_values(subscription)
            except (UnknownServiceDriver, JobFailed):
                continue  # nothing could be written either (its jobs fail and say why)
            if values is not None:
                writing[subscription.pk] = (subscription, values)
                names.update(driver.account_attributes)
        return writing, names

    def service_attributes(
        self,
        writing: dict[int, tuple[CustomerService, AccountValues]],
        accounts: dict[uuid.UUID, Entry],
    ) -> None:
        """What services write on one page of matched accounts (read with the page),
        compared for the users who have them: the page's assignments in one query."""
        holders = UserService.objects.filter(
            subscription__in=list(writing), user__directory_guid__in=list(accounts)
        ).select_related("user__organisation")
        for holder in holders.order_by("user_id", "subscription_id"):
            user = holder.user
            entry = accounts[user.directory_guid]
            wanted = writing[holder.subscription_id][1](user)
            for attribute, values in sorted(wanted.items()):
                have = texts(entry, attribute)
                if sorted(have) != sorted(values):
                    self.report.add(
                        DIFFERENT,
                        "account",
                        user.username,
                        f"{attribute} is {', '.join(sorted(have)) or 'empty'}, the "
                        f"portal says {', '.join(sorted(values)) or 'empty'}",
                    )

    def other_members(self, tallies: list[_Tally]) -> None:
        """Members of AllUsers and Admins that are not accounts of the organisation's users.
        Counting the members (a range at a time) settles it when none are; only then are
        the group's members searched for (by ``memberOf``, a page at a time) and each page
        compared with the portal's users in one query."""
        people = self.organisation.users.filter(is_service_account=False)
        for tally in tallies:
            if count_members(self.conn, tally.group.dn) == tally.in_group:
                continue
            base = default_naming_context(self.conn)
            for page in member_pages(self.conn, base, tally.group.dn):
                known = set(
                    people.filter(directory_guid__in=[e["guid"] for e in page]).values_list(
                        "directory_guid", flat=True
                    )
                )
                for entry in page:
                    if entry["guid"] not in known:
                        self.report.add(EXTRA, "membership", f"{entry['dn']} in {tally.name}")


def check_organisation(
    organisation: Organisation,
    conn: Connection | None = None,
    progress: Progress | None = None,
) -> Report:
    """Compare a provisioned organisation with the directory (reads only), on `conn` (a
    job's connection) or the process's own; ``progress(done, total)`` hears how many of its
    accounts have been compared, after each page."""
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
        checker = _Checker(conn or get_connection(config), Layout(config), report)
        checker.organisation_ou()
        checker.sub_ous()
        groups = checker.groups()
        checker.policy(groups.get(layout.KEY_ALL_USERS))
        checker.suffixes()
        tallies = checker.tallies(groups)
        checker.users(tallies, progress)
        checker.other_members(tallies)
        checker.strays()
    except DirectoryError as exc:
        report.error = f"The directory could not be checked: {exc}"
    except Exception as exc:  # a JobFailed from the layout helpers (no UPN ...)
        report.error = str(exc)
        logger.warning("checking %s failed", organisation.code, exc_info=True)
    return report


def keep(report: Report, *, job: Job | None = None, repair: bool = False) -> DriftReport:
    """Keep what a run found (the customer's page and list show the latest)."""
    return DriftReport.objects.create(
        organisation=report.organisation,
        job=job,
        repair=repair,
        differences=[asdict(drift) for drift in report.drift],
        found=len(report.drift),
        remaining=len(report.drift),
        checked=report.checked,
        error=report.error,
    )


def kept_after_repair(kept: DriftReport, after: Report) -> None:
    """Record what the repair of ``kept``'s run left."""
    DriftReport.objects.filter(pk=kept.pk).update(remaining=len(after.drift), error=after.error)


def organisations_to_check():
    return Organisation.objects.filter(
        directory_guid__isnull=False, status__in=[Status.ACTIVE, Status.SUSPENDED]
    ).order_by("tree_id", "lft")


def providers_to_reconcile():
    return Organisation.objects.filter(parent__isnull=True).exclude(status=Status.DELETED)


def request_reconciles(*, actor: Any, provider: Organisation, mode: str) -> int:
    """Queue a reconcile job (``mode`` report or repair) for every provisioned organisation
    of ``provider``'s tree that has none waiting or running already (a slow run is not
    doubled by the next schedule). Returns how many were queued."""
    if mode not in (RECONCILE_REPORT, RECONCILE_REPAIR):
        raise ValueError(f"a reconcile mode is report or repair, not {mode!r}")
    # The tree as it is now: organisations added since ``provider`` was read moved its edges.
    tree = Organisation.objects.only("tree_id", "lft", "rght").get(pk=provider.pk)
    organisations = organisations_to_check().filter(within(tree))
    busy = set(
        Job.objects.filter(
            kind=JobKind.RECONCILE,
            organisation__in=organisations,
            state__in=[JobState.QUEUED, JobState.RUNNING],
        ).values_list("organisation_id", flat=True)
    )
    queued = 0
    for organisation in organisations:
        if organisation.pk in busy:
            continue
        request_reconcile(actor=actor, organisation=organisation, repair=mode == RECONCILE_REPAIR)
        queued += 1
    logger.info("reconcile of provider %s: %d job(s) queued (%s)", provider.pk, queued, mode)
    return queued
