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
    account_attributes = ("homeDirectory", "homeDrive")

    def account_values(self, subscription: CustomerService):
        return self._values(subscription)

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
    """Sets ``mail`` (the UPN) and ``proxyAddresses``: ``SMTP:`` the UPN (the primary
    address), ``smtp:`` each of the user's e-mail aliases (``User.email_aliases``, on the
    customer's verified domains). Only the addresses the portal lists on the user's page,
    so a domain removed or an alias taken away leaves no address behind."""

    code = "mail_attributes"
    label = _("Mail attributes")
    # ``mail`` is the account's own (the user's Email, which this service makes the UPN):
    # the account's check compares it.
    account_attributes = ("proxyAddresses",)

    def account_values(self, subscription: CustomerService):
        def values(user: User) -> dict[str, list[str]]:
            upn = (user.upn or "").lower()
            aliases = [f"smtp:{alias}" for alias in user.email_aliases if alias != upn]
            return {"proxyAddresses": [f"SMTP:{upn}", *aliases]}

        return values

    def give(self, subscription: CustomerService, users: list[User]) -> list[Step]:
        addresses = self.account_values(subscription)

        def values(user: User) -> dict[str, list[str]]:
            return {"mail": [(user.upn or "").lower()], **addresses(user)}

        return attribute_steps(users, values, "Set the mail attributes")

    def take(self, subscription: CustomerService, users: list[User]) -> list[Step]:
        return attribute_steps(
            users, lambda user: {"proxyAddresses": []}, "Clear the mail addresses"
        )
