"""A customer's domains: add and remove aliases, and choose which one is primary."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.actors import recorded_user
from core.scoping import require_permission
from customers.actions.organisations import add_domain
from customers.models import Domain, Organisation, User

DOMAINS_DENIED = gettext_lazy("You may not change this organisation's domains.")


@transaction.atomic
def add_alias(*, actor: Any, organisation: Organisation, name: str) -> Domain:
    """Add a domain alias; the first domain of an organisation becomes its primary one."""
    require_permission(actor, "change_organisation", organisation, DOMAINS_DENIED)
    primary = not organisation.domains.filter(is_primary=True).exists()
    return add_domain(actor=actor, organisation=organisation, name=name, primary=primary)


@transaction.atomic
def remove_alias(*, actor: Any, domain: Domain) -> None:
    """Remove an alias. The primary domain stays (make another primary first), and so does a
    domain that users' UPNs are on (they would lose the suffix they sign in with) or their
    e-mail aliases are on: removing it would take addresses people receive mail at without
    anyone seeing which, so an administrator edits those users first (the message names
    them) and decides what becomes of each address."""
    require_permission(actor, "change_organisation", domain.organisation, DOMAINS_DENIED)
    if domain.is_primary:
        raise ValidationError(
            _("The primary domain cannot be removed; make an alias primary first.")
        )
    if User.objects.filter(
        organisation=domain.organisation_id, upn__endswith=f"@{domain.name}"
    ).exists():
        raise ValidationError(
            _("Users sign in with %(name)s: change their UPNs before removing it.")
            % {"name": domain.name}
        )
    suffix = f"@{domain.name}"
    receiving = sorted(
        username
        for username, aliases in User.objects.filter(organisation=domain.organisation_id)
        .exclude(email_aliases=[])
        .values_list("username", "email_aliases")
        if any(alias.endswith(suffix) for alias in aliases)
    )
    if receiving:
        raise ValidationError(
            _(
                "%(users)s receive mail at %(name)s (e-mail aliases): remove those aliases "
                "before removing it."
            )
            % {
                "users": ", ".join(receiving[:5]) + (" …" if len(receiving) > 5 else ""),
                "name": domain.name,
            }
        )
    domain._history_user = recorded_user(actor)
    domain.delete()


@transaction.atomic
def make_primary(*, actor: Any, domain: Domain) -> Domain:
    """The primary domain can change only to one of the organisation's own aliases."""
    organisation = domain.organisation
    require_permission(actor, "change_organisation", organisation, DOMAINS_DENIED)
    if domain.is_primary:
        return domain
    for previous in organisation.domains.select_for_update().filter(is_primary=True):
        previous.is_primary = False
        previous._history_user = recorded_user(actor)
        previous.save(update_fields=["is_primary"])
    domain.is_primary = True
    domain._history_user = recorded_user(actor)
    domain.save(update_fields=["is_primary"])
    return domain
