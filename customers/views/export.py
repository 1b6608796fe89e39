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
    return organisations_csv(queryset, "customers")


def organisations_csv(queryset, name: str) -> StreamingHttpResponse:
    """``queryset`` (annotated with ``primary_domain_name``) as a CSV download, with the
    columns the apps above registered (core.registry) where ``queryset`` carries them."""
    extra = [
        (column, label)
        for extension in CUSTOMER_LIST_EXTENSIONS.values()
        for column, label in extension.export
        if column in queryset.query.annotations
    ]
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
        *(column for column, _label in extra),
    )
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow([*HEADER, *(str(label) for _column, label in extra)])
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
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


USER_HEADER = [
    "Username",
    "Display Name",
    "UPN",
    "Email Address",
    "Organisation",
    "Enabled",
    "Administrator",
]


def users_csv(queryset, name: str) -> StreamingHttpResponse:
    """The users in ``queryset`` as a CSV download (the Users list's bulk export)."""
    rows = queryset.values_list(
        "username", "display_name", "upn", "email", "organisation__name", "is_active", "is_admin"
    )
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(USER_HEADER)
        for *text, active, admin in rows.iterator(chunk_size=2000):
            yield writer.writerow(
                [_cell(v) for v in text] + ["Yes" if active else "No", "Yes" if admin else "No"]
            )

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response
