"""What the apps register at start-up, by code, and look up later.

`Registry` is the one shape of such a table (job plans by kind, service drivers by code):
registered once, looked up with an error that names what is missing.

The service catalogue form (``customers``) lists every service driver, but drivers live in
``provisioning``, above it. ``provisioning`` registers each driver's code and label here
when it loads; the form reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

V = TypeVar("V")


def _never(current: object) -> bool:
    return False


class Registry(dict[str, V]):
    """Values by code, registered once at start-up.

    `duplicate` and `missing` are the messages (with ``{!r}`` for the code) of the
    ValueError a second registration raises and of the `unknown` error a lookup of an
    unregistered code raises.
    """

    def __init__(self, *, duplicate: str, missing: str, unknown: type[Exception]) -> None:
        super().__init__()
        self._duplicate = duplicate
        self._missing = missing
        self._unknown = unknown

    def add(self, code: str, value: V, *, replaces: Callable[[V], bool] = _never) -> None:
        """Register `value` under `code`; a code already taken is an error unless
        `replaces(current)` says the new value may take its place."""
        if code in self and not replaces(self[code]):
            raise ValueError(self._duplicate.format(code))
        self[code] = value

    def lookup(self, code: str) -> V:
        try:
            return self[code]
        except KeyError:
            raise self._unknown(self._missing.format(code)) from None


SERVICE_DRIVER_LABELS: dict[str, str] = {}


def register_service_driver(code: str, label: str) -> None:
    SERVICE_DRIVER_LABELS[code] = label


def unregister_service_driver(code: str) -> None:
    SERVICE_DRIVER_LABELS.pop(code, None)


class Admission:
    """What a customer action is about to add, for the admission checks to judge.

    ``kind`` is ``"user"``, ``"subscription"`` or ``"seats"``; for seats, ``subscription`` is
    the subscription (a ``customers.CustomerService``) that gains ``count`` seats.
    """

    USER = "user"
    SUBSCRIPTION = "subscription"
    SEATS = "seats"

    def __init__(self, kind: str, organisation: object, *, subscription=None, count: int = 1):
        self.kind = kind
        self.organisation = organisation
        self.subscription = subscription
        self.count = count

    def __repr__(self) -> str:
        return f"Admission({self.kind!r}, {self.organisation!r}, count={self.count})"


# Checks an app above ``customers`` registers at start-up (billing: the cutoff balance). Each
# takes an ``Admission`` and raises ValidationError to refuse; ``customers`` calls them inside
# the transaction that adds, after taking the organisation's row lock, without knowing who
# registered them.
ADMISSION_CHECKS: dict[str, Callable[[Admission], None]] = {}


def register_admission_check(code: str, check: Callable[[Admission], None]) -> None:
    ADMISSION_CHECKS[code] = check


def unregister_admission_check(code: str) -> None:
    ADMISSION_CHECKS.pop(code, None)


def check_admission(admission: Admission) -> None:
    """Run every registered check; the first refusal (a ValidationError) propagates."""
    for check in list(ADMISSION_CHECKS.values()):
        check(admission)


class CustomerTab:
    """A tab an app above ``customers`` adds to the customer page (billing: Billing, Units):
    shown to those who hold ``codename`` on the customer; ``url_name`` takes its pk."""

    def __init__(self, code: str, label: str, url_name: str, codename: str) -> None:
        self.code, self.label, self.url_name, self.codename = code, label, url_name, codename


CUSTOMER_TABS: dict[str, CustomerTab] = {}


def register_customer_tab(tab: CustomerTab) -> None:
    CUSTOMER_TABS[tab.code] = tab


class ListExtension:
    """Columns, sorts, filters and CSV columns an app above ``customers`` adds to the
    Customers list (billing: balance, credit quota, licence expiry, Storage Region).

    ``annotations()`` returns the Organisation annotations the columns read (subqueries:
    the page's query count does not grow with its rows); ``columns`` are (annotation,
    label, sortable); ``filters(scope)`` returns django-filter filters by name (``scope``:
    the organisations the viewer may see, for choice lists); ``export`` lists the
    annotations the CSV adds, with their headers.
    """

    def __init__(self, code, *, annotations, columns, filters, export) -> None:
        self.code = code
        self.annotations = annotations
        self.columns = columns
        self.filters = filters
        self.export = export


CUSTOMER_LIST_EXTENSIONS: dict[str, ListExtension] = {}


def register_list_extension(extension: ListExtension) -> None:
    CUSTOMER_LIST_EXTENSIONS[extension.code] = extension
