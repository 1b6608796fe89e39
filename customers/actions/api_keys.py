"""API keys: a person makes keys for their programs, and revokes them; those who manage the
person's account may revoke them too.

A key's power is its owner's current power narrowed (``core.scoping.limit``): the scopes and
the subtree chosen here are an upper bound, checked against the owner when the key is made and
again, implicitly, on every request.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.actors import SYSTEM
from core.scoping import has_permission
from customers.actions.lifecycle import may_sign_in
from customers.actions.service_accounts import may_manage_service_accounts
from customers.actions.users import may_act_on
from customers.models import ApiKey, Organisation, User
from customers.models.api_keys import LAST_USED_EVERY, digest, split_key

# What a key may be allowed to do: every organisation permission, in the order a person
# reads them (labels as on the Roles tab). Read from the model, so a permission added later
# (billing's, for one) is a scope at once and a key can be as wide as its owner.
SCOPES: dict[str, Any] = {
    "view_organisation": gettext_lazy("View organisations"),
    "change_organisation": gettext_lazy("Edit organisations"),
    **{codename: gettext_lazy(label) for codename, label in Organisation._meta.permissions},
}
LONGEST_LIFE = timedelta(days=366)


def scopes_held(owner: Any, organisation: Organisation) -> list[str]:
    """The scopes ``owner`` could give a key limited to ``organisation`` today."""
    return [codename for codename in SCOPES if has_permission(owner, codename, organisation)]


@transaction.atomic
def create_api_key(
    *,
    actor: Any,
    owner: User,
    name: str,
    organisation: Organisation,
    scopes: list[str],
    expires_at,
) -> tuple[ApiKey, str]:
    """A new key and its plain text, which is never stored and cannot be shown again.

    People make their own keys only: a key acts as its owner, so making one for someone else
    would be acting as them."""
    if (
        actor is not SYSTEM
        and getattr(actor, "pk", None) != owner.pk
        and not (
            owner.is_service_account and may_manage_service_accounts(actor, owner.organisation)
        )
    ):
        raise PermissionDenied(_("You may only make API keys for yourself."))
    errors: dict[str, list[str]] = {}
    if not Organisation.objects.restrict(owner, "view").filter(pk=organisation.pk).exists():
        errors["organisation"] = [_("You cannot see this organisation.")]
    else:
        unknown = sorted(set(scopes) - set(SCOPES))
        beyond = sorted(set(scopes) - set(scopes_held(owner, organisation)) - set(unknown))
        if not scopes:
            errors["scopes"] = [_("Choose at least one permission.")]
        elif unknown:
            errors["scopes"] = [_("Unknown permissions: %s.") % ", ".join(unknown)]
        elif beyond:
            errors["scopes"] = [
                _("You do not hold these permissions there: %s.") % ", ".join(beyond)
            ]
    now = timezone.now()
    if expires_at <= now:
        errors["expires_at"] = [_("The expiry must be in the future.")]
    elif expires_at > now + LONGEST_LIFE:
        errors["expires_at"] = [_("A key lives at most a year.")]
    if errors:
        raise ValidationError(errors)
    while True:
        prefix, secret, plain = ApiKey.new_secret()
        key = ApiKey(
            owner=owner,
            name=name,
            organisation=organisation,
            scopes=[s for s in SCOPES if s in set(scopes)],
            prefix=prefix,
            digest=digest(secret),
            expires_at=expires_at,
        )
        try:
            with transaction.atomic():
                key.save()
        except IntegrityError:
            continue  # the same 8-character prefix as an existing key: draw again
        return key, plain


def may_revoke(actor: Any, key: ApiKey) -> bool:
    if actor is SYSTEM or getattr(actor, "pk", None) == key.owner_id:
        return True
    return key.owner.organisation_id is not None and may_act_on(actor, key.owner, "change_users")


@transaction.atomic
def revoke_api_key(*, actor: Any, key: ApiKey) -> ApiKey:
    if not may_revoke(actor, key):
        raise PermissionDenied(_("You may not revoke this key."))
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def key_for(raw: str) -> ApiKey | None:
    """The usable key ``raw`` names, with its owner (narrowing is the caller's), or None:
    unknown, wrong secret, revoked, expired, or an owner who may not sign in."""
    parts = split_key(raw)
    if parts is None:
        return None
    prefix, secret = parts
    key = (
        ApiKey.objects.select_related("owner__organisation", "organisation")
        .filter(prefix=prefix)
        .first()
    )
    if key is None or not key.matches(secret) or not key.is_usable():
        return None
    owner = key.owner
    if not owner.is_active or not (owner.is_superuser or may_sign_in(owner)):
        return None
    return key


def record_use(key: ApiKey, address: str | None) -> None:
    """Remember when and from where the key was last used, at most once a minute."""
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_EVERY:
        return
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now, last_used_ip=address)
    key.last_used_at, key.last_used_ip = now, address


KEY_REASON = "key:"


def attribute_to_key(sender, history_instance, history_user=None, **kwargs) -> None:
    """simple-history's ``pre_create_historical_record``: when the one who acts is a key's
    owner (``portal.api.authentication`` marks them), the record names the key too."""
    key = getattr(history_user, "api_key", None)
    if key is None or getattr(history_instance, "history_change_reason", None):
        return
    history_instance.history_change_reason = f"{KEY_REASON}{key.prefix}"


def described_key(reason: str | None) -> str | None:
    """The key a history record's reason names, as people read it, or None."""
    if not reason or not reason.startswith(KEY_REASON):
        return None
    return f"cnp_{reason[len(KEY_REASON) :]}"
