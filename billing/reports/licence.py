"""The Licence report: per customer, what licence reporting needs (External Customer ID,
Account ID, Deal IDs, Public Sector, Inactive Billing) and the seats it uses of each service,
as the service inventory report lists them.

The customers are the organisations of the subtree that are not resellers (a customer report
on itself lists itself), deleted ones left out. Seats are the users holding each service now
(the assignments), counted in one grouped query for the page or the whole export.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db.models import Count
from django.utils.translation import gettext as _

from core.scoping import within
from customers.models import Organisation, Service, Status, UserService
from customers.models.services import ServiceType

FIELDS = (
    "code",
    "name",
    "external_id",
    "account_id",
    "deal_ids",
    "public_sector",
    "inactive_billing",
)


def customers(root: Organisation):
    """The customers of ``root``'s subtree in tree order."""
    return (
        Organisation.objects.filter(within(root), is_reseller=False, parent__isnull=False)
        .exclude(status=Status.DELETED)
        .order_by("tree_id", "lft")
    )


def services() -> list[Service]:
    """The services a seat can hold: every one of the catalogue but Reseller."""
    return list(Service.objects.exclude(service_type=ServiceType.RESELLER).order_by("name"))


def seats(organisations) -> dict[tuple[int, int], int]:
    """(organisation id, service id) -> users holding it, for ``organisations`` (a list of
    ids or a queryset of them)."""
    counted = (
        UserService.objects.filter(subscription__organisation_id__in=organisations)
        .values_list("subscription__organisation_id", "subscription__service_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {(org, service): n for org, service, n in counted}


def headers(columns: list[Service]) -> list[str]:
    return [
        _("Code"),
        _("Customer"),
        _("External Customer ID"),
        _("Account ID"),
        _("Deal IDs"),
        _("Public Sector"),
        _("Inactive Billing"),
        *(service.name for service in columns),
    ]


def deal_ids_text(value) -> str:
    """Deal IDs as the customer form shows them: separated by commas."""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value or "")


def row(values: dict, columns: list[Service], counted: dict[tuple[int, int], int]) -> list:
    return [
        values["code"],
        values["name"],
        values["external_id"],
        values["account_id"],
        deal_ids_text(values["deal_ids"]),
        values["public_sector"],
        values["inactive_billing"],
        *(counted.get((values["pk"], service.pk), 0) for service in columns),
    ]


def rows(root: Organisation, columns: Iterable[Service] | None = None) -> Iterator[list]:
    """Every customer of ``root``'s subtree, for the download: two queries whatever the
    size (the seats of the whole subtree at once, then the customers streamed)."""
    columns = list(columns) if columns is not None else services()
    listed = customers(root)
    counted = seats(listed.values("pk"))
    for values in listed.values("pk", *FIELDS).iterator(chunk_size=5000):
        yield row(values, columns, counted)
