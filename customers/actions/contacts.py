"""Contact persons of a customer (the Contact Details tab): add, edit, delete."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from core.actors import recorded_user
from core.scoping import has_permission
from customers.models import Contact, Organisation

CONTACT_FIELDS = ("name", "phone", "email", "role")


def _check_may_change(actor: Any, organisation: Organisation) -> None:
    if not has_permission(actor, "change_organisation", organisation):
        raise PermissionDenied("You may not change this organisation's contacts.")


@transaction.atomic
def add_contact(
    *,
    actor: Any,
    organisation: Organisation,
    name: str,
    phone: str = "",
    email: str = "",
    role: str = "",
) -> Contact:
    _check_may_change(actor, organisation)
    contact = Contact(organisation=organisation, name=name, phone=phone, email=email, role=role)
    contact._history_user = recorded_user(actor)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def update_contact(*, actor: Any, contact: Contact, **changes: str) -> Contact:
    _check_may_change(actor, contact.organisation)
    for key, value in changes.items():
        if key not in CONTACT_FIELDS:
            raise ValueError(f"Not a contact field: {key}")
        setattr(contact, key, value)
    contact._history_user = recorded_user(actor)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def delete_contact(*, actor: Any, contact: Contact) -> None:
    _check_may_change(actor, contact.organisation)
    contact._history_user = recorded_user(actor)
    contact.delete()
