"""Service types: what a kind of service does in the directory.

A catalogue service has a type (``Service.service_type``). The type says, as idempotent
engine steps (`provisioning.plans.Step`), what happens when the service is provisioned to a
customer, given to users, taken from users, and removed from the customer. The service
plans (`provisioning.plans.services`) call these hooks; the engine runs, logs and retries
the steps. The built-in types are in `provisioning.service_types.builtin`.

Adding a type
-------------

Subclass `ServiceType`, give it a ``code`` (stored in ``Service.service_type``) and a
``label`` (shown in the catalogue form), override the hooks you need and register it::

    from provisioning.service_types import ServiceType, register_type

    @register_type
    class Printing(ServiceType):
        code = "printing"
        label = "Printing"

        def provision_customer(self, subscription):
            return [group_step(subscription)]        # e.g. make a group, a share, an OU

        def give(self, subscription, users):
            return [membership_step(subscription, users, member=True)]

        def take(self, subscription, users):
            return [membership_step(subscription, users, member=False)]

        def remove_customer(self, subscription):
            return [delete_group_step(subscription)]

Every hook returns a list of steps and reads only the portal's database (the engine calls
the plan again at each attempt). Each step must leave the directory the same whether it
runs once or twice. ``give`` and ``take`` receive many users at once (a bulk import, the
service page's "give to many users"): prefer one step per group or per chunk of users to
one step per user. Use ``settings(subscription)`` for the service's settings with the
plan's on top. The helpers in `provisioning.service_types.helpers` (service group, batch
membership, per-user attributes) cover the usual cases.

Hooks, in the order the plans call them:

- ``provision_customer(subscription)``: the customer got the service, or its plan changed.
  Then ``give`` runs for everyone who has it (so a changed plan is re-applied).
- ``give(subscription, users)``: these users have the service now.
- ``take(subscription, users)``: these users no longer have it.
- ``remove_customer(subscription)``: the customer no longer has it; ``take`` ran first for
  every user who had it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from customers.models import CustomerService, User
    from provisioning.plans.base import Step


class ServiceType:
    """The directory behaviour of one kind of service; every hook defaults to nothing."""

    code: ClassVar[str]
    label: ClassVar[str]

    def provision_customer(self, subscription: CustomerService) -> list[Step]:
        return []

    def give(self, subscription: CustomerService, users: list[User]) -> list[Step]:
        return []

    def take(self, subscription: CustomerService, users: list[User]) -> list[Step]:
        return []

    def remove_customer(self, subscription: CustomerService) -> list[Step]:
        return []


TYPES: dict[str, ServiceType] = {}


def register_type(cls: type[ServiceType]) -> type[ServiceType]:
    """Class decorator: make the type available to services (and the catalogue form)."""
    if cls.code in TYPES and type(TYPES[cls.code]) is not cls:
        raise ValueError(f"a service type {cls.code!r} is already registered")
    TYPES[cls.code] = cls()
    return cls


def unregister_type(code: str) -> None:
    """For tests that define a type of their own."""
    TYPES.pop(code, None)


class UnknownServiceType(Exception):
    pass


def _load_builtin() -> None:
    from provisioning.service_types import builtin  # noqa: F401  (registers the five)


def type_for(code: str) -> ServiceType:
    _load_builtin()
    try:
        return TYPES[code]
    except KeyError:
        raise UnknownServiceType(f"no service type {code!r} is registered") from None


def type_choices() -> list[tuple[str, str]]:
    """The built-in types, then any registered by other modules (without loading the engine:
    the catalogue form needs only names)."""
    from customers.models import ServiceType as BuiltIn

    builtin = list(BuiltIn.choices)
    known = {code for code, _ in builtin}
    return builtin + [(code, t.label) for code, t in TYPES.items() if code not in known]


def settings(subscription: CustomerService) -> dict[str, Any]:
    """The service's settings with its plan's settings on top."""
    return {**(subscription.service.settings or {}), **(subscription.plan.settings or {})}


__all__ = [
    "TYPES",
    "ServiceType",
    "UnknownServiceType",
    "register_type",
    "settings",
    "type_choices",
    "type_for",
    "unregister_type",
]
