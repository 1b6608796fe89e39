"""Where an organisation lives in the directory, and what its objects are called.

    <DIRECTORY_TENANTS_ROOT>
      OU=<provider code>
        OU=<reseller code>          (nesting follows the organisation tree)
          OU=<customer code>        (description = full name)
            OU=Users
            OU=Groups
              CN=<code>-AllUsers    (every user; the password policy applies here)
              CN=<code>-Admins
              CN=<code>-<service>   (added by service plans)
    CN=<code>-PasswordPolicy in the Password Settings Container

DNs are built only with `directory.dn` (which escapes every value). Object GUIDs the engine
learnt are kept in `DirectoryObject` rows (and ``directory_guid`` on organisations and
users), so an object renamed or moved by hand is found again, not duplicated.
"""

from __future__ import annotations

import uuid

from directory import DirectoryConfig, cn_dn, ou_dn
from provisioning.models import DirectoryObject

USERS_OU = "Users"
GROUPS_OU = "Groups"

# DirectoryObject keys
KEY_USERS_OU = "ou:users"
KEY_GROUPS_OU = "ou:groups"
KEY_ALL_USERS = "group:allusers"
KEY_ADMINS = "group:admins"
KEY_POLICY = "policy"
SUFFIX_PREFIX = "suffix:"


def all_users_group(code: str) -> str:
    return f"{code}-AllUsers"


def admins_group(code: str) -> str:
    return f"{code}-Admins"


def service_group(code: str, service_code: str) -> str:
    """The group of an organisation's users who have a service (``ACME-VPN``)."""
    return f"{code}-{service_code}"


def policy_name(code: str) -> str:
    return f"{code}-PasswordPolicy"


def suffix_key(domain: str) -> str:
    return f"{SUFFIX_PREFIX}{domain.lower()}"


class Layout:
    """DNs of an organisation's objects under the configured tenants root.

    Organisations are passed in; their ancestors' codes are read once per organisation
    and cached for the life of the layout (one job attempt).
    """

    def __init__(self, config: DirectoryConfig) -> None:
        self.config = config
        self._paths: dict[int, list[str]] = {}

    @property
    def tenants_root(self) -> str:
        return self.config.tenants_root_dn

    def codes(self, organisation) -> list[str]:
        """Codes from the provider down to ``organisation``."""
        if organisation.pk not in self._paths:
            self._paths[organisation.pk] = [
                node.code for node in organisation.get_ancestors(include_self=True)
            ]
        return self._paths[organisation.pk]

    def organisation_dn(self, organisation) -> str:
        dn = self.tenants_root
        for code in self.codes(organisation):
            dn = ou_dn(dn, code)
        return dn

    def users_ou(self, organisation) -> str:
        return ou_dn(self.organisation_dn(organisation), USERS_OU)

    def groups_ou(self, organisation) -> str:
        return ou_dn(self.organisation_dn(organisation), GROUPS_OU)

    def group_dn(self, organisation, name: str) -> str:
        return cn_dn(self.groups_ou(organisation), name)

    def all_users_dn(self, organisation) -> str:
        return self.group_dn(organisation, all_users_group(organisation.code))

    def admins_dn(self, organisation) -> str:
        return self.group_dn(organisation, admins_group(organisation.code))


# --- remembered objects -------------------------------------------------------------------


def recalled_guid(organisation, key: str) -> uuid.UUID | None:
    """The GUID learnt for ``key`` of ``organisation``, if any."""
    return (
        DirectoryObject.objects.filter(organisation=organisation, key=key)
        .values_list("guid", flat=True)
        .first()
    )


def remember(organisation, key: str, name: str, guid: uuid.UUID | None = None) -> None:
    DirectoryObject.objects.update_or_create(
        organisation=organisation, key=key, defaults={"guid": guid, "name": name}
    )


def forget(organisation, key: str | None = None) -> None:
    rows = DirectoryObject.objects.filter(organisation=organisation)
    if key is not None:
        rows = rows.filter(key=key)
    rows.delete()


def remembered_suffixes(organisation) -> list[str]:
    return list(
        DirectoryObject.objects.filter(
            organisation=organisation, key__startswith=SUFFIX_PREFIX
        ).values_list("name", flat=True)
    )
