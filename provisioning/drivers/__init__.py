"""Service drivers: what a kind of service does in the directory.

A catalogue service has a type (``Service.service_type``). The type says, as idempotent
engine steps (`provisioning.job_plans.Step`), what happens when the service is provisioned to a
customer, given to users, taken from users, and removed from the customer. The service
plans (`provisioning.job_plans.subscriptions`) call these hooks; the engine runs, logs and retries
the steps. The built-in types are in `provisioning.drivers.builtin`.

Adding a driver
---------------

Subclass `ServiceDriver`, give it a ``code`` (stored in ``Service.service_type``) and a
``label`` (shown in the catalogue form), override the hooks you need and register it::

    from provisioning.drivers import ServiceDriver, register_driver

    @register_driver
    class Printing(ServiceDriver):
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
plan's on top. The helpers in `provisioning.drivers.helpers` (service group, batch
membership, per-user attributes) cover the usual cases.

Hooks, in the order the plans call them:

- ``provision_customer(subscription)``: the customer got the service, or its plan changed.
  Then ``give`` runs for everyone who has it (so a changed plan is re-applied).
- ``give(subscription, users)``: these users have the service now.
- ``take(subscription, users)``: these users no longer have it.
- ``remove_customer(subscription)``: the customer no longer has it; ``take`` ran first for
  every user who had it.

A type that writes attributes on its users' accounts also names them in
``account_attributes`` and says their values in ``account_values(subscription)`` (a function
of the user): reconcile compares them with the accounts of the users who have the service,
and a repair (which gives the service again) corrects them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from core.registry import Registry, register_service_driver, unregister_service_driver

if TYPE_CHECKING:
    from customers.models import CustomerService, User
    from provisioning.job_plans.base import Step

AccountValues = Callable[["User"], dict[str, list[str]]]


class ServiceDriver:
    """The directory behaviour of one kind of service; every hook defaults to nothing."""

    code: ClassVar[str]
    label: ClassVar[str]
    # The account attributes ``give`` sets on each user, for reconcile to compare.
    account_attributes: ClassVar[tuple[str, ...]] = ()

    def account_values(self, subscription: CustomerService) -> AccountValues | None:
        """What ``give`` writes on a user's account (``{attribute: [values]}``), or None
        when the service writes no attributes."""
        return None

    def provision_customer(self, subscription: CustomerService) -> list[Step]:
        return []

    def give(self, subscription: CustomerService, users: list[User]) -> list[Step]:
        return []

    def take(self, subscription: CustomerService, users: list[User]) -> list[Step]:
        return []

    def remove_customer(self, subscription: CustomerService) -> list[Step]:
        return []


class UnknownServiceDriver(Exception):
    pass


DRIVERS: Registry[ServiceDriver] = Registry(
    duplicate="a service type {!r} is already registered",
    missing="no service driver {!r} is registered",
    unknown=UnknownServiceDriver,
)


def register_driver(cls: type[ServiceDriver]) -> type[ServiceDriver]:
    """Class decorator: make the type available to services (and the catalogue form)."""
    DRIVERS.add(cls.code, cls(), replaces=lambda current: type(current) is cls)
    register_service_driver(cls.code, cls.label)
    return cls


def unregister_driver(code: str) -> None:
    """For tests that define a type of their own."""
    DRIVERS.pop(code, None)
    unregister_service_driver(code)


def driver_for(code: str) -> ServiceDriver:
    return DRIVERS.lookup(code)


def settings(subscription: CustomerService) -> dict[str, Any]:
    """The service's settings with its plan's settings on top."""
    return {**(subscription.service.settings or {}), **(subscription.plan.settings or {})}


__all__ = [
    "DRIVERS",
    "AccountValues",
    "ServiceDriver",
    "UnknownServiceDriver",
    "driver_for",
    "register_driver",
    "settings",
    "unregister_driver",
]
