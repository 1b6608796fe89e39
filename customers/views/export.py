"""CSV export of the filtered Customers list, through the same scoped queryset."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import StreamingHttpResponse
from django.utils import timezone

from core.registry import CUSTOMER_LIST_EXTENSIONS
from customers.filters import SORTABLE
from customers.models import OrganisationType, Status
from customers.views.list import filtered_organisations

HEADER = [
    "Full Name",
    "Code",
    "Kind",
    "Customer Type",
    "Status",
    "Parent",
    "Domain Name",
    "Contact Name",
    "Email Address",
    "Phone Number",
    "Created",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TYPE_LABELS = dict(OrganisationType.choices)
STATUS_LABELS = dict(Status.choices)


def _cell(value) -> str:
    """Spreadsheets run cells that start like a formula: prefix those with a quote."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


class _Echo:
    def write(self, value):
        return value


@login_required
def customer_export(request):
    _, queryset = filtered_organisations(request)
    extra = [
        (name, label)
        for extension in CUSTOMER_LIST_EXTENSIONS.values()
        for name, label in extension.export
    ]
    registered = {
        name
        for extension in CUSTOMER_LIST_EXTENSIONS.values()
        for name, _label, can_sort in extension.columns
        if can_sort
    }
    sort = request.GET.get("sort", "name")
    if sort.lstrip("-") in SORTABLE:
        queryset = queryset.order_by(sort, "pk")
    elif sort.lstrip("-") in registered:
        # As the list's NullsLastColumn: rows without a value last, in both directions.
        field = F(sort.lstrip("-"))
        ordering = (
            field.desc(nulls_last=True) if sort.startswith("-") else field.asc(nulls_last=True)
        )
        queryset = queryset.order_by(ordering, "pk")
    rows = queryset.values_list(
        "name",
        "code",
        "parent_id",
        "is_reseller",
        "customer_type",
        "status",
        "parent__name",
        "primary_domain_name",
        "contact_name",
        "email",
        "phone",
        "created",
        *(name for name, _label in extra),
    )
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow([*HEADER, *(str(label) for _name, label in extra)])
        for row in rows.iterator(chunk_size=2000):
            name, code, parent_id, reseller, ctype, status, parent, domain, *rest = row
            kind = "Provider" if parent_id is None else ("Reseller" if reseller else "Customer")
            contact, email, phone, created, *added = rest
            yield writer.writerow(
                [
                    _cell(v)
                    for v in (
                        name,
                        code,
                        kind,
                        TYPE_LABELS.get(ctype, ctype),
                        STATUS_LABELS.get(status, status),
                        parent,
                        domain,
                        contact,
                        email,
                        phone,
                        created.isoformat(timespec="seconds"),
                        *added,
                    )
                ]
            )

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.csv"'
    return response
