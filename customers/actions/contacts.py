"""Contact persons of a customer (the Contact Details tab): add, edit, delete."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy

from core.actors import recorded_user, save_recorded
from core.scoping import require_permission
from customers.models import Contact, Organisation

CONTACTS_DENIED = gettext_lazy("You may not change this organisation's contacts.")

CONTACT_FIELDS = ("name", "phone", "email", "role")


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
    require_permission(actor, "change_organisation", organisation, CONTACTS_DENIED)
    contact = Contact(organisation=organisation, name=name, phone=phone, email=email, role=role)
    return save_recorded(contact, actor=actor)


@transaction.atomic
def update_contact(*, actor: Any, contact: Contact, **changes: str) -> Contact:
    require_permission(actor, "change_organisation", contact.organisation, CONTACTS_DENIED)
    for key, value in changes.items():
        if key not in CONTACT_FIELDS:
            raise ValueError(f"Not a contact field: {key}")
        setattr(contact, key, value)
    return save_recorded(contact, actor=actor)


@transaction.atomic
def delete_contact(*, actor: Any, contact: Contact) -> None:
    require_permission(actor, "change_organisation", contact.organisation, CONTACTS_DENIED)
    contact._history_user = recorded_user(actor)
    contact.delete()
