"""The demo tenant tree and its fixed cast of users, as the README states them."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from django.db import transaction

from core.actors import SYSTEM
from customers.actions.organisations import create_organisation
from customers.actions.roles import grant_role
from customers.actions.users import create_user
from customers.actions.verification import verify_by_hand
from customers.models import Organisation, Role, User

DEMO_PASSWORD = "Canopy-demo-1!"


def fresh_password() -> str:
    """A random password that meets the portal's floor and AD's complexity."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(20)) + "-a7Q"


@dataclass(frozen=True)
class DemoOrganisation:
    code: str
    name: str
    parent: str | None
    domain: str
    reseller: bool = False


@dataclass(frozen=True)
class DemoLogin:
    username: str
    organisation: str
    role: str
    first_name: str
    last_name: str


ORGANISATIONS = [
    DemoOrganisation("CANOPY", "Canopy Hosting", None, "canopy-hosting.example", True),
    DemoOrganisation("NORTHWIND", "Northwind Resellers", "CANOPY", "northwind.example", True),
    DemoOrganisation("NWEAST", "Northwind East", "NORTHWIND", "nw-east.example", True),
    DemoOrganisation("SOUTHWIND", "Southwind Partners", "CANOPY", "southwind.example", True),
    DemoOrganisation("ACME", "Acme, Inc.", "NORTHWIND", "acme.example"),
    DemoOrganisation("CONTOSO", "Contoso Ltd", "NWEAST", "contoso.example"),
    DemoOrganisation("FABRIKAM", "Fabrikam", "SOUTHWIND", "fabrikam.example"),
    DemoOrganisation("GLOBEX", "Globex Corporation", "CANOPY", "globex.example"),
]

LOGINS = [
    DemoLogin("provider", "CANOPY", "Provider Admin", "Pat", "Provider"),
    DemoLogin("reseller", "NORTHWIND", "Reseller Admin", "Rita", "Reseller"),
    DemoLogin("subreseller", "NWEAST", "Reseller Admin", "Sam", "Subreseller"),
    DemoLogin("reseller2", "SOUTHWIND", "Reseller Admin", "Sol", "Southwind"),
    DemoLogin("customer", "ACME", "Customer Admin", "Cora", "Customer"),
    DemoLogin("helpdesk", "ACME", "Help Desk", "Hal", "Helpdesk"),
    DemoLogin("enduser", "ACME", "User", "Eve", "User"),
]


@transaction.atomic
def seed_demo(password: str = DEMO_PASSWORD) -> list[DemoLogin]:
    """Create the demo tree and cast; running it again changes nothing (logins that exist
    keep their password). ``password`` is given to the logins it creates."""
    by_code: dict[str, Organisation] = {}
    for spec in ORGANISATIONS:
        existing = Organisation.objects.filter(code=spec.code).first()
        if existing is None:
            existing = create_organisation(
                actor=SYSTEM,
                parent=by_code.get(spec.parent) if spec.parent else None,
                name=spec.name,
                code=spec.code,
                domains=[spec.domain],
                is_reseller=spec.reseller,
                email=f"contact@{spec.domain}",
                contact_name=f"{spec.name} contact",
            )
            if spec.parent is None:
                existing.allowed_roles.set(Role.objects.filter(organisation__isnull=True))
            # The demo's names are made up (.example): the portal vouches for them itself, so
            # the demo customers can be provisioned without publishing DNS records.
            for domain in existing.domains.all():
                verify_by_hand(actor=SYSTEM, domain=domain)
        by_code[spec.code] = existing
    for login in LOGINS:
        if User.objects.filter(username=login.username).exists():
            continue
        organisation = by_code[login.organisation]
        domain = organisation.domains.get(is_primary=True).name
        user, _ = create_user(
            actor=SYSTEM,
            organisation=organisation,
            username=login.username,
            upn=f"{login.username}@{domain}",
            first_name=login.first_name,
            last_name=login.last_name,
            email=f"{login.username}@{domain}",
            password=password,
            is_admin=login.role.endswith("Admin"),
            role=Role.objects.get(name=login.role),
        )
        if login.role == "Provider Admin":
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
    # Each customer's first user is its administrator: make sure grants exist for the cast.
    for login in LOGINS:
        user = User.objects.get(username=login.username)
        role = Role.objects.get(name=login.role)
        grant_role(actor=SYSTEM, user=user, organisation=by_code[login.organisation], role=role)
    return LOGINS
