"""The fixed cast every permission test shares (healthchecks' owner/member/outsider idea).

Provider (P)
├── Reseller One (R1)          reseller_admin
│   ├── Sub Reseller (R1A)     subreseller_admin
│   │   └── Deep Customer (C1A)
│   └── Customer One (C1)      customer_admin, help_desk, end_user, admin_user
└── Reseller Two (R2)          reseller2_admin  (the outsider to R1's subtree)
    └── Customer Two (C2)      customer2_admin
"""

from dataclasses import dataclass

from customers.models import Organisation, User
from tests.factories import OrganisationFactory, UserFactory


@dataclass
class Cast:
    provider: Organisation
    reseller: Organisation
    subreseller: Organisation
    customer: Organisation
    deep_customer: Organisation
    reseller2: Organisation
    customer2: Organisation
    provider_admin: User
    reseller_admin: User
    subreseller_admin: User
    reseller2_admin: User
    customer_admin: User
    customer2_admin: User
    help_desk: User
    end_user: User

    def refresh(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, Organisation | User):
                value.refresh_from_db()
                setattr(self, name, value)


def build_cast() -> Cast:
    provider = OrganisationFactory(name="Provider", code="PROV", is_reseller=True)
    reseller = OrganisationFactory(
        name="Reseller One", code="RONE", parent=provider, is_reseller=True
    )
    subreseller = OrganisationFactory(
        name="Sub Reseller", code="RSUB", parent=reseller, is_reseller=True
    )
    customer = OrganisationFactory(name="Customer One", code="CONE", parent=reseller)
    deep_customer = OrganisationFactory(name="Deep Customer", code="CDEEP", parent=subreseller)
    reseller2 = OrganisationFactory(
        name="Reseller Two", code="RTWO", parent=provider, is_reseller=True
    )
    customer2 = OrganisationFactory(name="Customer Two", code="CTWO", parent=reseller2)
    for org in (provider, reseller, subreseller, customer, deep_customer, reseller2, customer2):
        org.refresh_from_db()
    return Cast(
        provider=provider,
        reseller=reseller,
        subreseller=subreseller,
        customer=customer,
        deep_customer=deep_customer,
        reseller2=reseller2,
        customer2=customer2,
        provider_admin=UserFactory(username="padmin", organisation=provider, role="Provider Admin"),
        reseller_admin=UserFactory(username="radmin", organisation=reseller, role="Reseller Admin"),
        subreseller_admin=UserFactory(
            username="sradmin", organisation=subreseller, role="Reseller Admin"
        ),
        reseller2_admin=UserFactory(
            username="r2admin", organisation=reseller2, role="Reseller Admin"
        ),
        customer_admin=UserFactory(username="cadmin", organisation=customer, role="Customer Admin"),
        customer2_admin=UserFactory(
            username="c2admin", organisation=customer2, role="Customer Admin"
        ),
        help_desk=UserFactory(username="helpdesk", organisation=customer, role="Help Desk"),
        end_user=UserFactory(username="enduser", organisation=customer, role="User"),
    )
