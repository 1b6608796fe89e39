"""Building blocks of plans: each function returns a `Step` (or a list of them).

Every step is idempotent: it reads what is there, changes only the difference, and can be
interrupted and run again. The DNs come from `Layout` (built with `directory.dn`).
"""

from __future__ import annotations

import uuid

from core.models import Job
from customers.actions.lifecycle import may_sign_in
from customers.models import Domain, Organisation, User
from directory import (
    AlreadyExistsError,
    Entry,
    MembershipChange,
    NewUser,
    OutsideScopeError,
    PasswordPolicy,
    PermanentDirectoryError,
    UserResult,
    UserSpec,
    add_member,
    add_upn_suffix,
    apply_password_policy,
    converge_members,
    create_users,
    delete_tree,
    dn_of,
    ensure_container,
    ensure_group,
    ensure_ou,
    ensure_user,
    find_user_by_guid,
    find_user_by_upn,
    is_within,
    list_upn_suffixes,
    ou_dn,
    parent_of,
    password_policy_dn,
    remove_member,
    remove_password_policy,
    remove_upn_suffix,
    same_dn,
    set_password,
)
from provisioning.engine.context import StepContext
from provisioning.engine.errors import JobFailed
from provisioning.job_plans import layout
from provisioning.job_plans.base import Step
from provisioning.models import DirectoryObject

# While an organisation is in one of these states its accounts stay disabled in AD.


# --- organisation structure ------------------------------------------------------------------


def ensure_tenants_root() -> Step:
    def run(ctx: StepContext) -> None:
        root = ctx.layout.tenants_root
        if not ensure_container(ctx.conn, root):
            raise JobFailed(
                f"The tenants root {root} does not exist and is not an OU Canopy can create; "
                "check DIRECTORY_TENANTS_ROOT."
            )
        ctx.touched(root)

    return Step("Check the tenants root OU", run)


def ensure_organisation_ou(organisation: Organisation) -> Step:
    """The organisation's own OU (description = full name); its GUID is stored on it."""

    def run(ctx: StepContext) -> None:
        dn = ctx.layout.organisation_dn(organisation)
        guid = ensure_ou(
            ctx.conn,
            parent_of(dn),
            organisation.code,
            description=organisation.name,
            guid=organisation.directory_guid,
        )
        if organisation.directory_guid != guid:
            Organisation.objects.filter(pk=organisation.pk).update(directory_guid=guid)
            organisation.directory_guid = guid
        ctx.touched(dn)

    return Step(f"Make the OU of {organisation.name} ({organisation.code})", run)


def ensure_child_ou(organisation: Organisation, name: str, key: str) -> Step:
    def run(ctx: StepContext) -> None:
        parent = ctx.layout.organisation_dn(organisation)
        guid = ensure_ou(ctx.conn, parent, name, guid=layout.recalled_guid(organisation, key))
        layout.remember(organisation, key, name, guid)
        ctx.touched(ou_dn(parent, name))

    return Step(f"Make the {name} OU of {organisation.code}", run)


def ensure_organisation_group(
    organisation: Organisation, name: str, key: str, description: str
) -> Step:
    """A security group in the organisation's Groups OU, remembered under ``key``.

    Service plans use this too: ``ensure_organisation_group(org, layout.service_group(
    org.code, service.code), f"group:{service.code}", "Users of VPN")``.
    """

    def run(ctx: StepContext) -> None:
        groups_ou = ctx.layout.groups_ou(organisation)
        guid = ensure_group(
            ctx.conn,
            groups_ou,
            name,
            description=description,
            guid=layout.recalled_guid(organisation, key),
        )
        layout.remember(organisation, key, name, guid)
        ctx.touched(ctx.layout.group_dn(organisation, name))

    return Step(f"Make the group {name}", run)


def password_policy_of(organisation: Organisation) -> PasswordPolicy:
    try:
        return PasswordPolicy(
            min_length=organisation.password_min_length,
            complexity=organisation.password_complexity,
            history_length=organisation.password_history,
            max_age_days=organisation.password_max_age_days,
            lockout_threshold=organisation.lockout_threshold,
            lockout_duration_minutes=organisation.lockout_duration_minutes,
        )
    except ValueError as exc:
        raise JobFailed(f"The password policy of {organisation.name} is not valid: {exc}") from None


def apply_policy(organisation: Organisation) -> Step:
    name = layout.policy_name(organisation.code)

    def run(ctx: StepContext) -> None:
        policy = password_policy_of(organisation)
        targets = [ctx.layout.all_users_dn(organisation)]
        try:
            guid = apply_password_policy(ctx.conn, name, policy, targets)
        except AlreadyExistsError:
            # Another worker added it between the read and the add: now correct theirs.
            guid = apply_password_policy(ctx.conn, name, policy, targets)
        layout.remember(organisation, layout.KEY_POLICY, name, guid)
        ctx.touched(password_policy_dn(ctx.conn, name))

    return Step(
        f"Apply the password policy {name} to {layout.all_users_group(organisation.code)}", run
    )


def add_suffix(organisation: Organisation, domain: str) -> Step:
    def run(ctx: StepContext) -> None:
        key = layout.suffix_key(domain)
        base = ctx.config.base_dn
        already = {s.lower() for s in list_upn_suffixes(ctx.conn, base)}
        remembered = DirectoryObject.objects.filter(organisation=organisation, key=key).exists()
        if domain.lower() in already and not remembered:
            ctx.note("already accepted by the forest (not added by Canopy; left alone later)")
            return
        layout.remember(organisation, key, domain)  # before adding: never lose track of it
        if add_upn_suffix(ctx.conn, base, domain):
            ctx.note("added")
        ctx.touched(f"uPNSuffixes: {domain}")

    return Step(f"Accept the UPN suffix {domain}", run)


def suffixes_in_use_elsewhere(organisation: Organisation, names: set[str]) -> set[str]:
    lowered = {name.lower() for name in names}
    used = {
        name.lower()
        for name in Domain.objects.exclude(organisation=organisation)
        .filter(name__in=lowered)
        .values_list("name", flat=True)
    }
    used |= {
        name.lower()
        for name in DirectoryObject.objects.exclude(organisation=organisation)
        .filter(key__in=[layout.suffix_key(n) for n in lowered])
        .values_list("name", flat=True)
    }
    return used


def remove_suffix(organisation: Organisation, domain: str) -> Step:
    """Stop accepting a suffix this organisation added, unless another one now uses it."""

    def run(ctx: StepContext) -> None:
        if domain.lower() in suffixes_in_use_elsewhere(organisation, {domain}):
            ctx.note("kept: another organisation uses it")
        elif remove_upn_suffix(ctx.conn, ctx.config.base_dn, domain):
            ctx.note("removed")
        layout.forget(organisation, layout.suffix_key(domain))
        ctx.touched(f"uPNSuffixes: {domain}")

    return Step(f"Remove the UPN suffix {domain}", run)


def stale_suffix_steps(organisation: Organisation, keep: set[str]) -> list[Step]:
    """Steps removing the suffixes this organisation added that it no longer has."""
    wanted = {name.lower() for name in keep}
    return [
        remove_suffix(organisation, name)
        for name in layout.remembered_suffixes(organisation)
        if name.lower() not in wanted
    ]


def domains_of(organisation: Organisation) -> list[str]:
    """The organisation's verified domains: an unverified name is never a UPN suffix (anyone
    can type one; only its DNS owner, or the provider, vouches for it)."""
    return [domain.name for domain in organisation.domains.all() if domain.is_verified]


def structure_steps(organisation: Organisation) -> list[Step]:
    """Everything an organisation has in AD except its users: OUs (its ancestors' too),
    groups, password policy and UPN suffixes (added and, if dropped, removed)."""
    code = organisation.code
    ancestors = list(organisation.get_ancestors())
    domains = domains_of(organisation)
    return [
        ensure_tenants_root(),
        *(ensure_organisation_ou(ancestor) for ancestor in ancestors),
        ensure_organisation_ou(organisation),
        ensure_child_ou(organisation, layout.USERS_OU, layout.KEY_USERS_OU),
        ensure_child_ou(organisation, layout.GROUPS_OU, layout.KEY_GROUPS_OU),
        ensure_organisation_group(
            organisation,
            layout.all_users_group(code),
            layout.KEY_ALL_USERS,
            f"Every user of {organisation.name}",
        ),
        ensure_organisation_group(
            organisation,
            layout.admins_group(code),
            layout.KEY_ADMINS,
            f"Administrators of {organisation.name}",
        ),
        apply_policy(organisation),
        *(add_suffix(organisation, domain) for domain in domains),
        *stale_suffix_steps(organisation, set(domains)),
    ]


# --- users -----------------------------------------------------------------------------------


def account_enabled(user: User) -> bool:
    """What the portal says: enabled, and its organisation is not suspended or going away."""
    return may_sign_in(user)


def upn_of(user: User) -> str:
    if user.upn:
        return user.upn
    for organisation in user.organisation.get_ancestors(ascending=True, include_self=True):
        domain = organisation.primary_domain
        if domain is not None and domain.is_verified:
            return f"{user.username}@{domain.name}"
    raise JobFailed(
        f"{user.username} has no UPN, and neither {user.organisation.name} nor its parents "
        "have a verified domain to make one from. Give the user a UPN or the organisation a "
        "verified domain."
    )


def verified_upn_of(user: User) -> str:
    """The UPN an account is written with: never one on a domain still to be verified."""
    upn = upn_of(user)
    suffix = upn.rpartition("@")[2].lower()
    if Domain.objects.filter(name=suffix, verified_at__isnull=True).exists():
        raise JobFailed(
            f"{upn} is on {suffix}, a domain not verified yet: verify it on the customer's "
            "Domains page, then retry this job."
        )
    return upn


def user_spec(user: User, upn: str | None = None) -> UserSpec:
    """What the account should say; ``upn`` (unchecked) only to compare with what is there."""
    return UserSpec(
        upn=upn or verified_upn_of(user),
        sam_account_name=user.username,
        given_name=user.first_name,
        surname=user.last_name,
        display_name=user.display_name or user.get_full_name() or user.username,
        mail=user.email,
    )


def require_provisioned(organisation: Organisation | None) -> Organisation:
    if organisation is None:
        raise JobFailed("The organisation of this job no longer exists.")
    if organisation.directory_guid is None:
        raise JobFailed(
            f"{organisation.name} is not provisioned in the directory yet. Provision it "
            "first (its users are created with it), then retry this job."
        )
    return organisation


def job_user(job: Job) -> User:
    """The user a one-account job is about, in an organisation already in the directory."""
    if job.user_id is None:
        raise JobFailed("The user of this job no longer exists.")
    user = User.objects.select_related("organisation").get(pk=job.user_id)
    require_provisioned(user.organisation)
    return user


def _store_user_guid(user: User, guid) -> None:
    if user.directory_guid != guid:
        User.objects.filter(pk=user.pk).update(directory_guid=guid)
        user.directory_guid = guid


def store_logon_name(user: User, sam_account_name: str) -> None:
    """Keep the logon name AD holds, so the portal shows the one AD chose on a collision."""
    if sam_account_name and user.directory_sam_account_name != sam_account_name:
        User.objects.filter(pk=user.pk).update(directory_sam_account_name=sam_account_name)
        user.directory_sam_account_name = sam_account_name


def outside_message(username: str, organisation: Organisation) -> str:
    return (
        f"The account of {username} is outside the OU of {organisation.name}; Canopy will "
        "not change it. Move it back into the organisation's OU, or give the user an account "
        "of their own, then retry."
    )


def upn_taken_message(upn: str, organisation: Organisation) -> str:
    return (
        f"The UPN {upn} already belongs to an account outside the Users OU of "
        f"{organisation.name}; Canopy will not take it over. Give the user another UPN, "
        "then retry."
    )


def find_account(
    ctx: StepContext, organisation: Organisation, guid: uuid.UUID | None, upn: str, username: str
) -> Entry | None:
    """The account of a user of ``organisation``: by GUID (and then it must lie inside the
    organisation's OU), else by UPN only inside the organisation's Users OU.

    A UPN is a name anyone can give an account, so it never leads to an account elsewhere
    in the domain: a portal user whose UPN matches a service account outside the tenant
    must not reach that account.
    """
    if guid is not None:
        entry = find_user_by_guid(ctx.conn, guid, ["userPrincipalName"])
        if entry is not None:
            if not is_within(entry["dn"], ctx.layout.organisation_dn(organisation)):
                raise JobFailed(outside_message(username, organisation))
            return entry
    if not upn:
        return None
    return find_user_by_upn(
        ctx.conn, upn, ["userPrincipalName"], base=ctx.layout.users_ou(organisation)
    )


def _ensure_one(ctx: StepContext, user: User, password: str | None, change: bool) -> UserResult:
    """`ensure_user` for one portal user, with the job's answers to what can go wrong."""
    spec = user_spec(user)
    organisation = user.organisation
    users_ou = ctx.layout.users_ou(organisation)

    def ensure(password: str | None) -> UserResult:
        return ensure_user(
            ctx.conn,
            users_ou,
            spec,
            guid=user.directory_guid,
            password=password,
            enabled=account_enabled(user),
            must_change_password=bool(password) and change,
            within=ctx.layout.organisation_dn(organisation),
        )

    try:
        try:
            return ensure(password)
        except PermanentDirectoryError as exc:
            # Another worker created the same account between our lookup and our add
            # (the add then fails on the UPN or name): look again, and adopt theirs,
            # but only if it is in the organisation's Users OU.
            if isinstance(exc, OutsideScopeError):
                raise
            if find_user_by_upn(ctx.conn, spec.upn, base=users_ou) is None:
                raise
            return ensure(password)
    except OutsideScopeError:
        raise JobFailed(outside_message(user.username, organisation)) from None
    except AlreadyExistsError:
        if find_user_by_upn(ctx.conn, spec.upn, ["userPrincipalName"]) is None:
            raise
        raise JobFailed(upn_taken_message(spec.upn, organisation)) from None


def _remember_account(ctx: StepContext, user: User, result: UserResult) -> None:
    """What the later steps of this attempt need: the account's DN, and whether it is new."""
    ctx.state.setdefault("user_dns", {})[user.pk] = result.dn
    if result.created:
        ctx.state.setdefault("created_accounts", set()).add(user.pk)


def anchor(user: User, result: UserResult) -> bool:
    """Take the account's objectGUID and the logon name AD gave it onto ``user`` (unsaved:
    the caller saves a batch in one statement); False when both were already recorded."""
    sam = result.sam_account_name or user.directory_sam_account_name
    if (user.directory_guid, user.directory_sam_account_name) == (result.guid, sam):
        return False
    user.directory_guid = result.guid
    user.directory_sam_account_name = sam
    return True


def _chose_another_name(user: User, result: UserResult) -> str | None:
    if result.sam_account_name.lower() == user.username.lower():
        return None
    return (
        f"its logon name is {result.sam_account_name} because {user.username} was taken in "
        "the domain"
    )


def ensure_account(
    user: User, *, with_password: bool = False, must_change: bool | None = None
) -> Step:
    """The user's account as the portal describes it, in its organisation's Users OU.

    With ``with_password``, the job's password is given to it (a new account gets it as its
    first password, an existing one has it reset). The account's DN is kept in
    ``ctx.state["user_dns"]`` for the membership steps that follow. An account found by GUID
    outside the organisation's OU, or one outside its Users OU holding the user's UPN, is
    left alone and the job fails. A user with no account yet goes the way of a batch
    (`create_users`: one search before, one after), and the careful way if that declines.
    """

    def run(ctx: StepContext) -> None:
        password = ctx.password() if with_password else None
        change = user.must_change_password if must_change is None else must_change
        result = None
        if user.directory_guid is None:
            # One account: straight to the add, the DC refuses a taken name (create_users).
            result = create_new(ctx, [user], {user.pk: password}, change=change, look_first=False)[
                0
            ]
        if result is None:
            result = _ensure_one(ctx, user, password, change)
            if password and not result.created:
                set_password(ctx.conn, result.dn, password, must_change=change)
                ctx.note("password set")
        _store_user_guid(user, result.guid)
        store_logon_name(user, result.sam_account_name)
        _remember_account(ctx, user, result)
        ctx.note("created" if result.created else "checked")
        if other_name := _chose_another_name(user, result):
            ctx.note(other_name)
        ctx.touched(result.dn)

    return Step(f"Make the account of {user.username}", run, uses_secret=with_password)


def create_new(
    ctx: StepContext,
    users: list[User],
    passwords: dict[int, str | None],
    *,
    change: bool | None = None,
    look_first: bool = True,
) -> list[UserResult | None]:
    """`create_users` for portal users of one organisation that have no account yet, with
    the passwords given (by user id); None for those it leaves to `ensure_user`."""
    if not users:
        return []
    organisation = users[0].organisation
    wanted = []
    for user in users:
        password = passwords.get(user.pk)
        must_change = user.must_change_password if change is None else change
        wanted.append(
            NewUser(
                spec=user_spec(user),
                password=password,
                enabled=account_enabled(user),
                must_change_password=bool(password) and must_change,
            )
        )
    return create_users(ctx.conn, ctx.layout.users_ou(organisation), wanted, look_first=look_first)


# Accounts per step when many are made at once: a progress tick and a log entry each, and
# two searches for the lot (a worker stopped mid-step makes these again, as checks).
ACCOUNTS_PER_STEP = 25


def ensure_accounts(users: list[User]) -> Step:
    """The accounts of these users of one organisation (`ACCOUNTS_PER_STEP`; see
    `account_steps`) in one step: new ones in one batch (`create_users`: a search before
    and one after, rather than three searches each), the others as `ensure_account` does;
    their GUIDs and logon names stored in one statement."""

    def run(ctx: StepContext) -> None:
        new = [user for user in users if user.directory_guid is None]
        made = dict(zip((u.pk for u in new), create_new(ctx, new, {}), strict=True)) if new else {}
        changed, renamed = [], []
        for user in users:
            result = made.get(user.pk) or _ensure_one(ctx, user, None, user.must_change_password)
            _remember_account(ctx, user, result)
            if other_name := _chose_another_name(user, result):
                renamed.append(f"{user.username}: {other_name}")
            if anchor(user, result):
                changed.append(user)
        if changed:
            User.objects.bulk_update(changed, ["directory_guid", "directory_sam_account_name"])
        created = len(ctx.state.get("created_accounts", set()) & {user.pk for user in users})
        ctx.note(f"{created} created, {len(users) - created} checked")
        for note in renamed:
            ctx.note(note)
        ctx.touched(ctx.layout.users_ou(users[0].organisation))

    first, last = users[0].username, users[-1].username
    return Step(
        f"Make the accounts of {first} … {last}"
        if len(users) > 1
        else f"Make the account of {first}",
        run,
    )


def account_steps(users: list[User]) -> list[Step]:
    """The accounts of an organisation's users, `ACCOUNTS_PER_STEP` to a step."""
    return [
        ensure_accounts(users[start : start + ACCOUNTS_PER_STEP])
        for start in range(0, len(users), ACCOUNTS_PER_STEP)
    ]


def user_dn(ctx: StepContext, user: User) -> str:
    """The DN of the user's account: from this attempt's earlier step, else found by GUID
    or inside the organisation's Users OU (`find_account`)."""
    known = ctx.state.get("user_dns", {}).get(user.pk)
    if known:
        return known
    entry = find_account(ctx, user.organisation, user.directory_guid, upn_of(user), user.username)
    if entry is None:
        raise JobFailed(
            f"The account of {user.username} was not found in the Users OU of "
            f"{user.organisation.name}. Update the user (that makes the account), then retry."
        )
    ctx.state.setdefault("user_dns", {})[user.pk] = entry["dn"]
    return entry["dn"]


def set_password_step(user: User, *, must_change: bool) -> Step:
    def run(ctx: StepContext) -> None:
        password = ctx.password()
        if password is None:
            ctx.note("already done in an earlier attempt")
            return
        set_password(ctx.conn, user_dn(ctx, user), password, must_change=must_change)
        ctx.touched(user_dn(ctx, user))
        if must_change:
            ctx.note("the user must change it at next sign-in")

    return Step(f"Set a new password for {user.username}", run, uses_secret=True)


def exact_members(ctx: StepContext, group_dn: str, member_dns: list[str]) -> MembershipChange:
    """Exactly these members, even if another worker changes the same group meanwhile
    (`converge_members` reads again and retries)."""
    return converge_members(ctx.conn, group_dn, member_dns)


def organisation_memberships(organisation: Organisation, users: list[User]) -> list[Step]:
    """AllUsers holds exactly the organisation's accounts; Admins exactly its admins."""

    def members(ctx: StepContext, admins_only: bool) -> list[str]:
        return [user_dn(ctx, user) for user in users if user.is_admin or not admins_only]

    def all_users(ctx: StepContext) -> None:
        dn = ctx.layout.all_users_dn(organisation)
        change = exact_members(ctx, dn, members(ctx, admins_only=False))
        ctx.note(f"{len(change.added)} added, {len(change.removed)} removed")
        ctx.touched(dn)

    def admins(ctx: StepContext) -> None:
        dn = ctx.layout.admins_dn(organisation)
        change = exact_members(ctx, dn, members(ctx, admins_only=True))
        ctx.note(f"{len(change.added)} added, {len(change.removed)} removed")
        ctx.touched(dn)

    return [
        Step(f"Set the members of {layout.all_users_group(organisation.code)}", all_users),
        Step(f"Set the members of {layout.admins_group(organisation.code)}", admins),
    ]


def group_membership(organisation: Organisation, user: User, group: str, member: bool) -> Step:
    """One user in (``member``) or out of one of the organisation's groups.

    Adding is one modify (AD answers "already exists" if it is a member); removing reads
    the members first. Safe because jobs of one organisation never run at once.
    """

    def run(ctx: StepContext) -> None:
        group_dn = ctx.layout.group_dn(organisation, group)
        account = user_dn(ctx, user)
        if member:
            ctx.note("added" if add_member(ctx.conn, group_dn, account) else "already a member")
        elif user.pk in ctx.state.get("created_accounts", ()):
            # Made a moment ago by this attempt: in no group of ours yet, so no read.
            ctx.note("not a member")
        else:
            ctx.note("removed" if remove_member(ctx.conn, group_dn, account) else "not a member")
        ctx.touched(group_dn)

    verb = "Put" if member else "Keep"
    where = "in" if member else "out of"
    return Step(f"{verb} {user.username} {where} {group}", run)


def user_memberships(user: User) -> list[Step]:
    organisation = user.organisation
    return [
        group_membership(organisation, user, layout.all_users_group(organisation.code), True),
        group_membership(organisation, user, layout.admins_group(organisation.code), user.is_admin),
    ]


# --- removal ---------------------------------------------------------------------------------


def delete_organisation_tree(organisation: Organisation) -> Step:
    def run(ctx: StepContext) -> None:
        root = ctx.layout.tenants_root
        dn = ctx.layout.organisation_dn(organisation)
        if organisation.directory_guid is not None:
            dn = dn_of(ctx.conn, organisation.directory_guid) or dn
        if not is_within(dn, root) or same_dn(dn, root):
            raise JobFailed(
                f"The OU of {organisation.name} is at {dn}, outside the tenants root {root}; "
                "Canopy will not delete it. Move it back or delete it by hand, then retry."
            )
        ctx.note("deleted" if delete_tree(ctx.conn, dn) else "already gone")
        ctx.touched(dn)

    return Step(f"Delete the OU tree of {organisation.name}", run)


def remove_policy(organisation: Organisation) -> Step:
    name = layout.policy_name(organisation.code)

    def run(ctx: StepContext) -> None:
        ctx.note("removed" if remove_password_policy(ctx.conn, name) else "already gone")
        layout.forget(organisation, layout.KEY_POLICY)
        ctx.touched(password_policy_dn(ctx.conn, name))

    return Step(f"Remove the password policy {name}", run)


def forget_directory_objects(organisation: Organisation) -> Step:
    def run(ctx: StepContext) -> None:
        User.objects.filter(organisation=organisation).update(directory_guid=None)
        Organisation.objects.filter(pk=organisation.pk).update(directory_guid=None)
        layout.forget(organisation)

    return Step("Forget the GUIDs of the deleted objects", run)
