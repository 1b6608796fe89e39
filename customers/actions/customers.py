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

from django.db import transaction

from core.models import Job
from customers.actions.lifecycle import provision_organisation
from customers.actions.organisations import (
    apply_organisation_edit,
    create_organisation,
    update_organisation,
)
from customers.actions.roles import clone_admin_role
from customers.models import Organisation, Role, Status, Tag


@transaction.atomic
def create_customer(
    *,
    actor: Any,
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
    actor: Any,
    organisation: Organisation,
    changes: dict[str, Any],
    provision: bool = False,
    **relations: Any,
) -> Job | None:
    """Edit Customer: save, and apply to the directory when the customer is provisioned.

    A provisioned customer's edit is applied by an update job; ``provision`` on a draft (or
    failed) customer starts its provisioning instead.
    """
    update_organisation(actor=actor, organisation=organisation, changes=changes, **relations)
    if provision and organisation.status in {Status.DRAFT, Status.FAILED, Status.DEPROVISIONED}:
        return provision_organisation(actor=actor, organisation=organisation)
    return apply_organisation_edit(actor=actor, organisation=organisation)


@dataclass(frozen=True)
class LocalAdmin:
    """The default local administrator: named after the customer."""

    username: str
    local_part: str
    first_name: str
    last_name: str
    display_name: str


def local_admin_identity(organisation: Organisation) -> LocalAdmin:
    """Spaces in the customer name become underscores in the admin's name and email.

    "Acme Corp" -> ``Acme_CorpAdmin`` (the ``<Name>Admin@<domain>`` pattern).
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


def administrator_role(*, actor: Any, organisation: Organisation, cloned_from: Role | None) -> Role:
    """The role of the wizard's administrator (Cloned Admin Role / Default Admin Role):
    a copy of ``cloned_from`` named after the customer, or Customer Admin."""
    if cloned_from is not None:
        return clone_admin_role(actor=actor, source=cloned_from, organisation=organisation)
    return Role.objects.get(name="Customer Admin")
