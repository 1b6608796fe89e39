"""Service accounts: an identity an organisation's admin makes for a program, to own its API
keys. It has a role like a person (so its keys are as narrow as that role), no password, no
directory account, and it never signs in to the browser (``portal.auth`` refuses it).

Disabling or deleting it, or revoking its role, ends or narrows its keys at once: a key acts
as its owner today (``portal.api.authentication``)."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.actors import recorded_user
from core.scoping import has_permission
from customers.actions.roles import grant_role
from customers.models import Organisation, Role, User

SERVICE_ACCOUNT_DENIED = "Only those who create users and grant roles here make service accounts."


def may_manage_service_accounts(actor: Any, organisation: Organisation) -> bool:
    return has_permission(actor, "add_users", organisation) and has_permission(
        actor, "grant_roles", organisation
    )


def _username(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:15] or "program"
    base = f"svc-{slug}"[:20]
    candidate, number = base, 2
    while User.objects.filter(username=candidate).exists():
        suffix = f"-{number}"
        candidate, number = base[: 20 - len(suffix)] + suffix, number + 1
    return candidate


@transaction.atomic
def create_service_account(
    *, actor: Any, organisation: Organisation, name: str, role: Role
) -> User:
    """A service account of ``organisation`` holding ``role`` there (one the actor may grant)."""
    if not may_manage_service_accounts(actor, organisation):
        raise PermissionDenied(SERVICE_ACCOUNT_DENIED)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Name the program this account is for.")})
    username = _username(name)
    person = User(
        organisation=organisation,
        username=username,
        # Unique like every UPN, on a name no directory or mail system serves.
        upn=f"{username}.{organisation.pk}@service-account.invalid",
        display_name=name[:256],
        is_service_account=True,
    )
    person.set_unusable_password()
    person._history_user = recorded_user(actor)
    person.save()
    grant_role(actor=actor, user=person, organisation=organisation, role=role)
    return person
