"""The customer workflows of the seed products, each one atomic: create (Save or
Save/Provision), edit (applied to the directory when provisioned), the first administrator.

These compose the lower-level services with the provisioning requests, so that a failure in
any part leaves nothing behind: no organisation without its domains, no user without its
role, no job without its row.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from customers.models import Organisation, Role, Status, Tag, User
from customers.scoping import has_permission
from customers.services.organisations import create_organisation, update_organisation
from customers.services.passwords import check_password
from customers.services.roles import clone_admin_role
from customers.services.users import create_user
from provisioning.models import Job
from provisioning.services import (
    JobKind,
    apply_organisation_edit,
    provision_organisation,
    user_job,
)

# A user created while the customer is in one of these states gets a directory job at once;
# a draft customer's users are created in the directory when it is provisioned.
DIRECTORY_STATES = {Status.PROVISIONING, Status.ACTIVE}


@transaction.atomic
def create_customer(
    *,
    actor: User | None,
    parent: Organisation,
    name: str,
    provision: bool = False,
    domains: Iterable[str] = (),
    tags: Iterable[Tag] = (),
    allowed_roles: Iterable[Role] | None = None,
    restricted_roles: Iterable[Role] | None = None,
    **fields: Any,
) -> tuple[Organisation, Job | None]:
    """Save keeps a draft; Save/Provision also records the job that builds it in AD."""
    organisation = create_organisation(
        actor=actor,
        parent=parent,
        name=name,
        domains=domains,
        tags=tags,
        allowed_roles=allowed_roles,
        restricted_roles=restricted_roles,
        **fields,
    )
    job = provision_organisation(actor=actor, organisation=organisation) if provision else None
    return organisation, job


@transaction.atomic
def edit_customer(
    *,
    actor: User | None,
    organisation: Organisation,
    changes: dict[str, Any],
    provision: bool = False,
    **relations: Any,
) -> Job | None:
    """Atria's "Edit Customer ... Provision to save and apply".

    A provisioned customer's edit is applied by an update job; ``provision`` on a draft (or
    failed) customer starts its provisioning instead.
    """
    update_organisation(actor=actor, organisation=organisation, changes=changes, **relations)
    if provision and organisation.status in {Status.DRAFT, Status.FAILED, Status.DEPROVISIONED}:
        return provision_organisation(actor=actor, organisation=organisation)
    return apply_organisation_edit(actor=actor, organisation=organisation)


@dataclass(frozen=True)
class LocalAdmin:
    """VOSS's default local administrator: named after the customer."""

    username: str
    local_part: str
    first_name: str
    last_name: str
    display_name: str


def local_admin_identity(organisation: Organisation) -> LocalAdmin:
    """Spaces in the customer name become underscores in the admin's name and email.

    "Acme Corp" -> ``Acme_CorpAdmin`` (VOSS's ``ProviderAdmin@provider.com`` pattern).
    Characters a sAMAccountName or an email local part cannot hold are dropped, and the
    username is cut to AD's 20 characters.
    """
    folded = unicodedata.normalize("NFKD", organisation.name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9_.-]", "", folded.strip().replace(" ", "_")).strip("._-")
    base = base or organisation.code
    username = f"{base[:15]}Admin"
    return LocalAdmin(
        username=username,
        local_part=username,
        first_name=organisation.name[:150],
        last_name="Admin",
        display_name=f"{organisation.name} Admin"[:256],
    )


@transaction.atomic
def create_administrator(
    *,
    actor: User | None,
    organisation: Organisation,
    username: str,
    upn: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    display_name: str = "",
    email: str = "",
    cloned_from: Role | None = None,
) -> tuple[User, Job | None]:
    """The wizard's administrator: checked against the customer's password policy.

    With ``cloned_from`` the admin receives a copy of that role named after the customer
    (VOSS's Cloned Admin Role / Default Admin Role); otherwise Customer Admin. When the
    customer is (being) provisioned, the directory account is created by a job that carries
    the password encrypted; the portal keeps only its hash.
    """
    display_name = display_name or f"{first_name} {last_name}".strip()
    check_password(organisation, password, username=username, display_name=display_name)
    if cloned_from is not None:
        role = clone_admin_role(actor=actor, source=cloned_from, organisation=organisation)
    else:
        role = Role.objects.get(name="Customer Admin")
        if actor is not None and not all(
            has_permission(actor, codename, organisation) for codename in role.codenames()
        ):
            raise PermissionDenied("You may not create an administrator here.")
    # create_user takes the seat under the organisation's row lock (customers.services.limits).
    user = create_user(
        actor=actor,
        organisation=organisation,
        username=username,
        upn=upn,
        first_name=first_name,
        last_name=last_name,
        display_name=display_name,
        email=email,
        password=password,
        is_admin=True,
        role=role,
    )
    # For a draft the job is held until the customer is provisioned (see user_job).
    job = None
    if organisation.status in DIRECTORY_STATES or organisation.status == Status.DRAFT:
        job = user_job(kind=JobKind.CREATE_USER, actor=actor, user=user, password=password)
    return user, job
