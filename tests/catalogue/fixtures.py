"""Services for the cast: VPN (a security group) and Mail, provisioned to Customer One."""

from __future__ import annotations

from customers.models import CustomerService, Plan, Service, UserImport


def vpn_service() -> Service:
    service, _ = Service.objects.get_or_create(
        code="VPN", defaults={"name": "VPN", "service_type": "security_group"}
    )
    return service


def vpn_plan() -> Plan:
    plan, _ = Plan.objects.get_or_create(service=vpn_service(), name="Standard")
    return plan


def subscribe(organisation, plan: Plan | None = None, **fields) -> CustomerService:
    """A subscription written directly (no job, no checks): the state under test."""
    plan = plan or vpn_plan()
    subscription, _ = CustomerService.objects.get_or_create(
        organisation=organisation,
        service=plan.service,
        defaults={"plan": plan, "status": "active", **fields},
    )
    return subscription


def customer_vpn(cast) -> CustomerService:
    """VPN at Reseller One (its pool) and at Customer One."""
    subscribe(cast.reseller)
    return subscribe(cast.customer)


def customer_import(cast) -> UserImport:
    checked, _ = UserImport.objects.get_or_create(
        organisation=cast.customer, filename="users.csv", defaults={"rows_total": 0}
    )
    return checked
