"""The five built-in service types."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from customers.models import CustomerService, User
from provisioning.drivers import ServiceDriver, register_driver, settings
from provisioning.drivers.helpers import (
    attribute_steps,
    delete_service_group,
    ensure_service_group,
    membership_step,
)
from provisioning.engine.errors import JobFailed
from provisioning.job_plans.base import Step


@register_driver
class Reseller(ServiceDriver):
    """Makes a customer a reseller (``Organisation.is_reseller``, set by the portal at once).

    Nothing in the directory: a reseller's customers nest under its OU anyway."""

    code = "reseller"
    label = _("Reseller")


@register_driver
class DirectoryAccount(ServiceDriver):
    """The user's AD account itself. Every user has it; the user jobs make the account."""

    code = "directory_account"
    label = _("Directory account")


@register_driver
class SecurityGroup(ServiceDriver):
    """A per-customer group (VPN, File Share, Remote Apps): membership is the service."""

    code = "security_group"
    label = _("Security group")

    def provision_customer(self, subscription: CustomerService) -> list[Step]:
        return [ensure_service_group(subscription)]

    def give(self, subscription: CustomerService, users: list[User]) -> list[Step]:
        return [membership_step(subscription, users, member=True)] if users else []

    def take(self, subscription: CustomerService, users: list[User]) -> list[Step]:
        return [membership_step(subscription, users, member=False)] if users else []

    def remove_customer(self, subscription: CustomerService) -> list[Step]:
        return [delete_service_group(subscription)]


class _Placeholders(dict):
    def __missing__(self, key: str) -> str:
        raise JobFailed(
            f"The home folder path uses {{{key}}}; use {{username}}, {{upn}}, {{first_name}}, "
            "{last_name} or {customer}."
        )


@register_driver
class HomeFolder(ServiceDriver):
    """Sets ``homeDirectory`` and ``homeDrive`` from a template in the settings:
    ``{"path": "\\\\\\\\fs1\\\\home\\\\{username}", "drive": "H:"}`` (service, or plan on top).
    """

    code = "home_folder"
    label = _("Home folder")

    def _values(self, subscription: CustomerService):
        options = settings(subscription)
        template, drive = options.get("path", ""), options.get("drive", "H:")
        if not template:
            raise JobFailed(
                f"Set the home folder path of {subscription.service.name} in its settings, "
                'for example {"path": "\\\\\\\\fs1\\\\home\\\\{username}", "drive": "H:"}.'
            )

        def values(user: User) -> dict[str, list[str]]:
            path = template.format_map(
                _Placeholders(
                    username=user.username,
                    upn=user.upn or "",
                    first_name=user.first_name,
                    last_name=user.last_name,
                    customer=subscription.organisation.code,
                )
            )
            return {"homeDirectory": [path], "homeDrive": [drive]}

        return values

    def give(self, subscription: CustomerService, users: list[User]) -> list[Step]:
        return attribute_steps(users, self._values(subscription), "Set the home folder")

    def take(self, subscription: CustomerService, users: list[User]) -> list[Step]:
        return attribute_steps(
            users, lambda user: {"homeDirectory": [], "homeDrive": []}, "Clear the home folder"
        )


@register_driver
class MailAttributes(ServiceDriver):
    """Sets ``mail`` (the UPN) and ``proxyAddresses`` (``SMTP:`` the UPN, ``smtp:`` the same
    name at each of the customer's other domains)."""

    code = "mail_attributes"
    label = _("Mail attributes")

    def give(self, subscription: CustomerService, users: list[User]) -> list[Step]:
        # Only verified domains become mail addresses.
        domains = [d.name for d in subscription.organisation.domains.all() if d.is_verified]

        def values(user: User) -> dict[str, list[str]]:
            upn = (user.upn or "").lower()
            local, _, own = upn.partition("@")
            aliases = [f"smtp:{local}@{d}" for d in domains if d != own]
            return {"mail": [upn], "proxyAddresses": [f"SMTP:{upn}", *aliases]}

        return attribute_steps(users, values, "Set the mail attributes")

    def take(self, subscription: CustomerService, users: list[User]) -> list[Step]:
        return attribute_steps(
            users, lambda user: {"proxyAddresses": []}, "Clear the mail addresses"
        )
