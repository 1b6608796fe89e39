"""Fine-grained password policies (msDS-PasswordSettings objects, "PSOs").

A PSO lives in ``CN=Password Settings Container,CN=System,<base>`` and applies to the
users and groups named in its ``msDS-PSOAppliesTo``; for a member of several, the lowest
precedence wins. Durations are stored as negative counts of 100-nanosecond intervals.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ldap3 import Connection

from . import ops
from .dn import and_, cn_dn, dn_key, eq
from .entry import integer, require_guid, text, texts
from .errors import TransientDirectoryError
from .placement import AttributeDifference, attribute_changes
from .read import default_naming_context

NEVER = -9223372036854775808  # the most negative int64: "never" / "forever" in AD
_TICKS_PER_MINUTE = 60 * 10_000_000
_MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class PasswordPolicy:
    """A customer's password rules.

    `max_age_days` None means passwords never expire. `lockout_threshold` 0 means wrong
    passwords never lock the account; `lockout_duration_minutes` 0 means a locked account
    stays locked until an administrator unlocks it. Failed attempts are counted over
    `lockout_observation_minutes` (default: the lockout duration, or 30 minutes).
    """

    min_length: int
    complexity: bool
    history_length: int
    max_age_days: int | None
    min_age_days: int = 0
    lockout_threshold: int = 0
    lockout_duration_minutes: int = 30
    precedence: int = 10
    lockout_observation_minutes: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.min_length <= 255:
            raise ValueError("minimum password length must be between 0 and 255")
        if not 0 <= self.history_length <= 1024:
            raise ValueError("password history length must be between 0 and 1024")
        if self.min_age_days < 0 or self.lockout_threshold < 0:
            raise ValueError("ages and thresholds cannot be negative")
        if self.max_age_days is not None and self.max_age_days <= self.min_age_days:
            raise ValueError("maximum password age must be longer than the minimum age")
        if self.lockout_duration_minutes < 0:
            raise ValueError("lockout duration cannot be negative")
        if self.precedence < 1:
            raise ValueError("precedence must be 1 or more")
        window = self.observation_minutes
        if window <= 0 or (
            self.lockout_duration_minutes and window > self.lockout_duration_minutes
        ):
            raise ValueError(
                "the lockout observation window must be positive and not exceed "
                "the lockout duration"
            )

    @property
    def observation_minutes(self) -> int:
        if self.lockout_observation_minutes is not None:
            return self.lockout_observation_minutes
        return self.lockout_duration_minutes or 30

    def attributes(self) -> dict[str, str]:
        """The PSO's attribute values as AD stores them."""

        def minutes(value: int) -> str:
            return str(-value * _TICKS_PER_MINUTE)

        return {
            "msDS-PasswordSettingsPrecedence": str(self.precedence),
            "msDS-PasswordReversibleEncryptionEnabled": "FALSE",
            "msDS-PasswordHistoryLength": str(self.history_length),
            "msDS-PasswordComplexityEnabled": "TRUE" if self.complexity else "FALSE",
            "msDS-MinimumPasswordLength": str(self.min_length),
            "msDS-MinimumPasswordAge": minutes(self.min_age_days * _MINUTES_PER_DAY),
            "msDS-MaximumPasswordAge": str(NEVER)
            if self.max_age_days is None
            else minutes(self.max_age_days * _MINUTES_PER_DAY),
            "msDS-LockoutThreshold": str(self.lockout_threshold),
            "msDS-LockoutObservationWindow": minutes(self.observation_minutes),
            "msDS-LockoutDuration": str(NEVER)
            if self.lockout_duration_minutes == 0
            else minutes(self.lockout_duration_minutes),
        }


def password_settings_container(conn: Connection) -> str:
    """``CN=Password Settings Container,CN=System,<base>``."""
    return cn_dn(cn_dn(default_naming_context(conn), "System"), "Password Settings Container")


def password_policy_dn(conn: Connection, name: str) -> str:
    """Where the PSO ``CN=<name>`` lives."""
    return cn_dn(password_settings_container(conn), name)


@dataclass(frozen=True)
class PolicyCheck:
    """A PSO compared with the policy it should carry: the settings that differ (wanted
    holds the one value AD should store) and the DNs it applies to."""

    dn: str
    differences: list[AttributeDifference]
    applies_to: list[str]

    def applies_exactly_to(self, dns: Iterable[str]) -> bool:
        """Whether the PSO applies to exactly `dns` (compared as DNs, not as text)."""
        return {dn_key(dn) for dn in self.applies_to} == {dn_key(dn) for dn in dns}


def check_password_policy(
    conn: Connection, name: str, policy: PasswordPolicy
) -> PolicyCheck | None:
    """Compare the PSO ``CN=<name>`` with `policy` (reads only); None if it does not exist."""
    dn = password_policy_dn(conn, name)
    wanted: Mapping[str, str] = policy.attributes()
    entry = ops.read(conn, dn, [*wanted, "msDS-PSOAppliesTo"])
    if entry is None:
        return None
    return PolicyCheck(
        dn=entry["dn"],
        differences=[
            AttributeDifference(attribute=attr, current=texts(entry, attr), wanted=[value])
            for attr, value in wanted.items()
            if texts(entry, attr) != [value]
        ],
        applies_to=texts(entry, "msDS-PSOAppliesTo"),
    )


def apply_password_policy(
    conn: Connection, name: str, policy: PasswordPolicy, applies_to_dns: Iterable[str]
) -> uuid.UUID:
    """Create or update the PSO ``CN=<name>`` so that it carries `policy` and applies to
    exactly `applies_to_dns` (usually one group: the customer's AllUsers). Returns its GUID.
    """
    dn = password_policy_dn(conn, name)
    targets = list({dn_key(target): target for target in applies_to_dns}.values())
    desired = policy.attributes()
    entry = ops.read(conn, dn, [*desired, "msDS-PSOAppliesTo"])
    if entry is None:
        ops.add(
            conn,
            dn,
            "msDS-PasswordSettings",
            {**desired, **({"msDS-PSOAppliesTo": targets} if targets else {})},
        )
        created = ops.read(conn, dn)
        if created is None:
            raise TransientDirectoryError("the policy vanished right after it was created", dn=dn)
        return require_guid(created)
    changes = attribute_changes(entry, desired)
    current = {dn_key(target) for target in texts(entry, "msDS-PSOAppliesTo")}
    if current != {dn_key(target) for target in targets}:
        changes.update(attribute_changes(None, {"msDS-PSOAppliesTo": targets}))
    ops.modify(conn, dn, changes)
    return require_guid(entry)


def remove_password_policy(conn: Connection, name: str) -> bool:
    """Delete the PSO ``CN=<name>``. Returns False if it did not exist."""
    return ops.delete_if_present(conn, password_policy_dn(conn, name))


@dataclass(frozen=True)
class FoundPolicy:
    """A PSO as read from the directory: its name and DN, and its settings."""

    name: str
    dn: str
    guid: uuid.UUID
    policy: PasswordPolicy


def _ticks_to_minutes(value: int | None) -> int | None:
    if value is None or value == NEVER:
        return None
    return abs(value) // _TICKS_PER_MINUTE


def policies_applying_to(conn: Connection, target_dn: str) -> list[FoundPolicy]:
    """The PSOs whose ``msDS-PSOAppliesTo`` names `target_dn` (a group or user), lowest
    precedence (the one that wins) first. Reads only."""
    attributes = [
        "cn",
        "msDS-PasswordSettingsPrecedence",
        "msDS-PasswordHistoryLength",
        "msDS-PasswordComplexityEnabled",
        "msDS-MinimumPasswordLength",
        "msDS-MinimumPasswordAge",
        "msDS-MaximumPasswordAge",
        "msDS-LockoutThreshold",
        "msDS-LockoutObservationWindow",
        "msDS-LockoutDuration",
    ]
    found = ops.search(
        conn,
        password_settings_container(conn),
        and_(eq("objectClass", "msDS-PasswordSettings"), eq("msDS-PSOAppliesTo", target_dn)),
        attributes=attributes,
    )
    policies = []
    for entry in found:
        max_age = _ticks_to_minutes(integer(entry, "msDS-MaximumPasswordAge"))
        duration = _ticks_to_minutes(integer(entry, "msDS-LockoutDuration"))
        try:
            policy = PasswordPolicy(
                min_length=integer(entry, "msDS-MinimumPasswordLength") or 0,
                complexity=(text(entry, "msDS-PasswordComplexityEnabled") or "").upper() == "TRUE",
                history_length=integer(entry, "msDS-PasswordHistoryLength") or 0,
                max_age_days=None if max_age is None else max_age // _MINUTES_PER_DAY,
                min_age_days=(_ticks_to_minutes(integer(entry, "msDS-MinimumPasswordAge")) or 0)
                // _MINUTES_PER_DAY,
                lockout_threshold=integer(entry, "msDS-LockoutThreshold") or 0,
                lockout_duration_minutes=0 if duration is None else duration,
                precedence=integer(entry, "msDS-PasswordSettingsPrecedence") or 1,
                lockout_observation_minutes=_ticks_to_minutes(
                    integer(entry, "msDS-LockoutObservationWindow")
                ),
            )
        except ValueError:
            continue  # settings a PasswordPolicy cannot hold: left out of the preview
        policies.append(
            FoundPolicy(
                name=text(entry, "cn") or "",
                dn=entry["dn"],
                guid=require_guid(entry),
                policy=policy,
            )
        )
    return sorted(policies, key=lambda found: found.policy.precedence)
