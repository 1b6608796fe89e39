"""Creating portal users (who are also directory accounts)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from customers.models import Organisation, Role, User
from customers.scoping import has_permission
from customers.services.limits import take_user_seat
from customers.services.roles import grant_role


@transaction.atomic
def create_user(
    *,
    actor: User | None,
    organisation: Organisation,
    username: str,
    upn: str,
    first_name: str = "",
    last_name: str = "",
    display_name: str = "",
    email: str = "",
    password: str | None = None,
    is_admin: bool = False,
    role: Role | None = None,
    must_change_password: bool = False,
) -> User:
    """Create a user of ``organisation``. The first user of a customer is always an admin.

    ``role`` (default: Customer Admin for administrators, User otherwise) is granted on the
    user's own organisation. The password is hashed for portal login; the directory copy
    travels to its job encrypted (see ``provisioning``), never stored in plaintext.
    """
    if actor is not None and not has_permission(actor, "add_users", organisation):
        raise PermissionDenied("You may not create users here.")
    take_user_seat(organisation)
    if not organisation.users.exists():
        is_admin = True
    user = User(
        organisation=organisation,
        username=username,
        upn=upn,
        first_name=first_name,
        last_name=last_name,
        display_name=display_name,
        email=email,
        is_admin=is_admin,
        must_change_password=must_change_password,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    if role is None:
        role = Role.objects.get(name="Customer Admin" if is_admin else "User")
    grant_role(actor=None, user=user, organisation=organisation, role=role)
    return user
