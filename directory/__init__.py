"""Canopy's Active Directory layer: LDAP and AD knowledge, nothing of Django or the portal.

Small, idempotent functions over an ldap3 connection (`connect` / `get_connection`):
ensure an OU, a group, a user, a membership, a password policy, a UPN suffix; delete a
tree. Every DN and filter is built by `directory.dn`, which escapes what users type.
Failures raise `TransientDirectoryError` (retry later) or `PermanentDirectoryError`.
"""

from .config import DirectoryConfig
from .connection import connect, get_connection, reset_connection, verify_password
from .dn import (
    and_,
    child_dn,
    cn_dn,
    dn_key,
    eq,
    guid_filter,
    or_,
    ou_dn,
    parent_of,
    rdn,
    rdn_value,
    same_dn,
)
from .entry import Entry
from .errors import (
    AlreadyExistsError,
    AuthenticationError,
    DirectoryError,
    InsecureConnectionError,
    NoSuchObjectError,
    PasswordRejectedError,
    PermanentDirectoryError,
    TransientDirectoryError,
    map_error,
)
from .groups import (
    GLOBAL_SECURITY_GROUP,
    MembershipChange,
    delete_group,
    ensure_group,
    get_members,
    set_members,
)
from .ous import delete_tree, ensure_ou
from .policy import PasswordPolicy, apply_password_policy, remove_password_policy
from .read import default_naming_context, find_by_guid, list_children, read_entry
from .sam import clean_sam_account_name
from .suffixes import add_upn_suffix, list_upn_suffixes, remove_upn_suffix
from .users import (
    UserResult,
    UserSpec,
    delete_user,
    disable_user,
    enable_user,
    ensure_user,
    find_user_by_guid,
    find_user_by_upn,
    generate_sam_account_name,
    is_enabled,
    random_password,
    set_password,
    unlock_user,
)

__all__ = [
    "GLOBAL_SECURITY_GROUP",
    "AlreadyExistsError",
    "AuthenticationError",
    "DirectoryConfig",
    "DirectoryError",
    "Entry",
    "InsecureConnectionError",
    "MembershipChange",
    "NoSuchObjectError",
    "PasswordPolicy",
    "PasswordRejectedError",
    "PermanentDirectoryError",
    "TransientDirectoryError",
    "UserResult",
    "UserSpec",
    "add_upn_suffix",
    "and_",
    "apply_password_policy",
    "child_dn",
    "clean_sam_account_name",
    "cn_dn",
    "connect",
    "default_naming_context",
    "delete_group",
    "delete_tree",
    "delete_user",
    "disable_user",
    "dn_key",
    "enable_user",
    "ensure_group",
    "ensure_ou",
    "ensure_user",
    "eq",
    "find_by_guid",
    "find_user_by_guid",
    "find_user_by_upn",
    "generate_sam_account_name",
    "get_connection",
    "get_members",
    "guid_filter",
    "is_enabled",
    "list_children",
    "list_upn_suffixes",
    "map_error",
    "or_",
    "ou_dn",
    "parent_of",
    "random_password",
    "rdn",
    "rdn_value",
    "read_entry",
    "remove_password_policy",
    "remove_upn_suffix",
    "reset_connection",
    "same_dn",
    "set_members",
    "set_password",
    "unlock_user",
    "verify_password",
]
