"""Fine-grained password policies: applied to a group, they bind its members only."""

import dataclasses
import secrets

import pytest

from directory import (
    AuthenticationError,
    PasswordPolicy,
    PasswordRejectedError,
    apply_password_policy,
    cn_dn,
    connect,
    ensure_group,
    read_entry,
    remove_password_policy,
    set_members,
    set_password,
    unlock_user,
)
from directory.entry import integer, text, texts
from directory.policy import NEVER, password_settings_container
from tests.directory.conftest import PASSWORD

pytestmark = pytest.mark.directory

# 10 characters, all four classes: the domain default (7, complexity) accepts it.
TEN_CHARACTERS = "Tenchar-1x"
NEVER_EXPIRES = 9223372036854775807  # msDS-UserPasswordExpiryTimeComputed for "never"

STRICT = PasswordPolicy(
    min_length=14,
    complexity=True,
    history_length=5,
    max_age_days=None,
    lockout_threshold=3,
    lockout_duration_minutes=30,
)


@pytest.fixture
def policy_name(ldap):
    """A PSO name of this test's own; the PSO lives outside the test OU, so it is removed
    here."""
    name = f"test-pso-{secrets.token_hex(4)}"
    yield name
    remove_password_policy(ldap, name)


@pytest.fixture
def all_users_group(ldap, test_ou):
    ensure_group(ldap, test_ou, "ACME-AllUsers")
    return cn_dn(test_ou, "ACME-AllUsers")


def test_a_policy_on_a_group_refuses_a_short_password_the_domain_would_accept(
    ldap, test_ou, make_user, policy_name, all_users_group
):
    member = make_user(test_ou, "member")
    outsider = make_user(test_ou, "outsider")
    set_members(ldap, all_users_group, [member.dn])

    apply_password_policy(ldap, policy_name, STRICT, [all_users_group])

    with pytest.raises(PasswordRejectedError):
        set_password(ldap, member.dn, TEN_CHARACTERS)
    set_password(ldap, outsider.dn, TEN_CHARACTERS)  # the domain default still applies
    set_password(ldap, member.dn, "Fourteen-chars-1")


def test_the_policy_is_the_resultant_one_and_its_passwords_never_expire(
    ldap, test_ou, make_user, policy_name, all_users_group
):
    member = make_user(test_ou, "member")
    outsider = make_user(test_ou, "outsider")
    set_members(ldap, all_users_group, [member.dn])

    apply_password_policy(ldap, policy_name, STRICT, [all_users_group])

    attrs = ["msDS-ResultantPSO", "msDS-UserPasswordExpiryTimeComputed"]
    member_entry = read_entry(ldap, member.dn, attrs)
    outsider_entry = read_entry(ldap, outsider.dn, attrs)
    assert text(member_entry, "msDS-ResultantPSO").startswith(f"CN={policy_name},")
    assert integer(member_entry, "msDS-UserPasswordExpiryTimeComputed") == NEVER_EXPIRES
    assert integer(outsider_entry, "msDS-UserPasswordExpiryTimeComputed") < NEVER_EXPIRES


def test_durations_are_stored_as_negative_100_nanosecond_intervals(
    ldap, policy_name, all_users_group
):
    policy = dataclasses.replace(STRICT, max_age_days=90, min_age_days=1)

    apply_password_policy(ldap, policy_name, policy, [all_users_group])

    entry = read_entry(ldap, cn_dn(password_settings_container(ldap), policy_name))
    assert integer(entry, "msDS-MaximumPasswordAge") == -77760000000000
    assert integer(entry, "msDS-MinimumPasswordAge") == -864000000000
    assert integer(entry, "msDS-LockoutDuration") == -18000000000
    assert text(entry, "msDS-PasswordComplexityEnabled") == "TRUE"


def test_applying_again_updates_the_same_policy_object(ldap, test_ou, policy_name, all_users_group):
    first = apply_password_policy(ldap, policy_name, STRICT, [all_users_group])
    ensure_group(ldap, test_ou, "ACME-Admins")
    admins = cn_dn(test_ou, "ACME-Admins")

    second = apply_password_policy(
        ldap, policy_name, dataclasses.replace(STRICT, min_length=16), [admins]
    )

    assert second == first
    entry = read_entry(ldap, first)
    assert integer(entry, "msDS-MinimumPasswordLength") == 16
    assert [dn.lower() for dn in texts(entry, "msDS-PSOAppliesTo")] == [admins.lower()]


def test_never_expiring_and_forever_lockout_use_ads_special_value(ldap, policy_name):
    policy = dataclasses.replace(STRICT, lockout_duration_minutes=0)

    guid = apply_password_policy(ldap, policy_name, policy, [])

    entry = read_entry(ldap, guid)
    assert integer(entry, "msDS-MaximumPasswordAge") == NEVER
    assert integer(entry, "msDS-LockoutDuration") == NEVER


def test_a_locked_out_member_can_sign_in_again_after_unlock(
    ldap, samba_dc, test_ou, make_user, policy_name, all_users_group
):
    member = make_user(test_ou, "member", password="Fourteen-chars-1")
    upn = text(read_entry(ldap, member.dn), "userPrincipalName")
    set_members(ldap, all_users_group, [member.dn])
    apply_password_policy(ldap, policy_name, STRICT, [all_users_group])
    as_member = dataclasses.replace(samba_dc, bind_user=upn)
    for _ in range(STRICT.lockout_threshold):
        with pytest.raises(AuthenticationError):
            connect(dataclasses.replace(as_member, password=PASSWORD))
    with pytest.raises(AuthenticationError, match="locked out"):
        connect(dataclasses.replace(as_member, password="Fourteen-chars-1"))

    unlock_user(ldap, member.dn)

    connect(dataclasses.replace(as_member, password="Fourteen-chars-1")).unbind()


def test_remove_password_policy_is_idempotent(ldap, policy_name):
    apply_password_policy(ldap, policy_name, STRICT, [])

    assert remove_password_policy(ldap, policy_name) is True
    assert remove_password_policy(ldap, policy_name) is False


@pytest.mark.parametrize(
    "changes",
    [
        {"min_length": 300},
        {"max_age_days": 1, "min_age_days": 1},
        {"lockout_observation_minutes": 60},  # longer than the 30-minute lockout
        {"precedence": 0},
    ],
)
def test_impossible_policies_are_refused_before_reaching_the_directory(changes):
    with pytest.raises(ValueError):
        dataclasses.replace(STRICT, **changes)
