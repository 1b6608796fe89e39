"""Login to CP: an administrator opens the portal as a customer's administrator.

The one rule (``may_act_as``), the start and the end (each a row of the customer's security
log), whose branding the acting person sees (``branding_while_acting``), and the note every
history row made meanwhile carries (``record_acting_actor``).

The session mechanics live in ``portal.middleware.ActingAsMiddleware``: the actor's own
session stays signed in as the actor (no sign-in of the target: no sign-in event, session row
or last-login time for them); on each request it checks this rule again and, while it holds,
serves the request as the target with the actor at ``request.acting_actor``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.models import HistoricalRecords

from core.actors import SYSTEM
from core.scoping import has_permission
from customers.actions.lifecycle import may_sign_in
from customers.actions.security_events import record_security_event
from customers.actions.users import holds_admin_rights, may_act_on
from customers.models import Organisation, SecurityEventKind, User

ACTING_DENIED = gettext_lazy("You may not log in as this user.")
REASON_MAX = 200


def may_act_as(actor: Any, target: User) -> bool:
    """May ``actor`` open the portal as ``target``?

    Only as an administrator of an organisation below the actor's own, in the actor's scope,
    who is no superuser, can sign in, and holds no permission there that the actor does not
    also hold (``may_act_on``): acting must never lend the actor more power than they have.
    Nobody acts as themselves, and the portal itself (``SYSTEM``) never acts as anyone.
    """
    if actor is SYSTEM or getattr(actor, "pk", None) is None:
        return False
    organisation = target.organisation
    if (
        target.pk == actor.pk
        or target.is_superuser
        or organisation is None
        or organisation.pk == getattr(actor, "organisation_id", None)
        or not may_sign_in(target)
        or not holds_admin_rights(target)
    ):
        return False
    return has_permission(actor, "change_users", organisation) and may_act_on(
        actor, target, "change_users"
    )


def candidates(actor: Any, organisation: Organisation) -> list[User]:
    """The administrators of ``organisation`` ``actor`` may act as (the Login to CP list)."""
    if not has_permission(actor, "change_users", organisation):
        return []
    people = organisation.users.filter(is_active=True, is_superuser=False, is_admin=True)
    return [person for person in people.select_related("organisation") if may_act_as(actor, person)]


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if settings.ACT_AS_REASON_REQUIRED and not reason:
        raise ValidationError({"reason": _("Say why you log in as this user.")})
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": _("At most %(count)d characters.") % {"count": REASON_MAX}}
        )
    return reason


@transaction.atomic
def start_acting(*, actor: Any, target: User, reason: str = "") -> None:
    """Record that ``actor`` starts acting as ``target``: a row of the security log of the
    target's organisation, which its administrators read."""
    if not may_act_as(actor, target):
        raise PermissionDenied(ACTING_DENIED)
    reason = _check_reason(reason)
    detail = _("%(actor)s logged in as %(target)s") % {"actor": actor, "target": target}
    if reason:
        detail = f"{detail}: {reason}"
    record_security_event(
        kind=SecurityEventKind.ACTING_STARTED, actor=actor, subject=target, detail=detail
    )


@transaction.atomic
def end_acting(*, actor: Any, target: User, expired: bool = False) -> None:
    """Record the end of a Login to CP session: by the End button, or when its time ran out
    (``expired``) or the rule stopped holding."""
    detail = (
        _("The time allowed ran out.") if expired else _("%(actor)s ended it.") % {"actor": actor}
    )
    record_security_event(
        kind=SecurityEventKind.ACTING_ENDED, actor=actor, subject=target, detail=detail
    )


def branding_while_acting(actor: Any, target: User) -> dict[str, str]:
    """What the acting person sees: the branding ``target`` sees, except when the actor is an
    administrator of the provider or a reseller and the target's organisation is no reseller;
    then their own organisation's (the actor's brand, not the customer's own)."""
    home = getattr(actor, "organisation", None)
    organisation = target.organisation
    if (
        home is not None
        and (home.is_provider or home.is_reseller)
        and holds_admin_rights(actor)
        and not organisation.is_reseller
    ):
        return home.effective_branding()
    return organisation.effective_branding()


def record_acting_actor(sender, history_instance, **kwargs) -> None:
    """simple-history's ``pre_create_historical_record``: a change made while acting names
    the real person beside the account they acted as ("A acting as B")."""
    request = getattr(HistoricalRecords.context, "request", None)
    actor = getattr(request, "acting_actor", None)
    if actor is not None:
        history_instance.history_acting_actor = actor
