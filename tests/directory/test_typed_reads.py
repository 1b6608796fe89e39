"""The typed reads and membership helpers provisioning uses instead of LDAP details."""

import dataclasses
import secrets

import pytest

from directory import (
    PasswordPolicy,
    account_differences,
    add_member,
    add_members,
    apply_password_policy,
    check_password_policy,
    converge_members,
    disable_user,
    dn_of,
    ensure_container,
    ensure_group,
    ensure_ou,
    ensure_user,
    find_account_by_guid,
    find_account_by_upn,
    get_members,
    list_accounts,
    list_groups,
    ou_dn,
    password_policy_dn,
    remove_member,
    remove_members,
    remove_password_policy,
    same_dn,
    summarise,
)
from tests.directory.conftest import spec_for

pytestmark = pytest.mark.directory


def test_list_accounts_says_who_is_enabled_without_naming_an_attribute(ldap, test_ou, make_user):
    on = make_user(test_ou, "on")
    off = make_user(test_ou, "off")
    disable_user(ldap, off.dn)

    accounts = {account.guid: account for account in list_accounts(ldap, test_ou)}

    assert accounts[on.guid].enabled and not accounts[off.guid].enabled
    assert same_dn(accounts[on.guid].dn, on.dn)
    assert accounts[on.guid].sam_account_name == on.sam_account_name
    assert find_account_by_guid(ldap, off.guid).upn == accounts[off.guid].upn
    assert find_account_by_upn(ldap, accounts[on.guid].upn).guid == on.guid


def test_account_differences_lists_what_ensure_user_would_correct(ldap, test_ou):
    spec = spec_for("diff")
    made = ensure_user(ldap, test_ou, spec, password=None)
    account = find_account_by_guid(ldap, made.guid)

    assert account_differences(account, spec) == []
    changed = dataclasses.replace(spec, given_name="Jane")
    [difference] = account_differences(account, changed)
    assert (difference.attribute, difference.current, difference.wanted) == (
        "givenName",
        ["John"],
        ["Jane"],
    )


def test_membership_helpers_change_only_the_difference(ldap, test_ou, make_user):
    group = ensure_group(ldap, test_ou, f"G{secrets.token_hex(3)}")
    group_dn = dn_of(ldap, group)
    first, second = (make_user(test_ou, name, enabled=False).dn for name in ("m1", "m2"))

    assert add_member(ldap, group_dn, first) is True
    assert add_member(ldap, group_dn, first) is False
    assert add_members(ldap, group_dn, [first, second]) == 1
    assert remove_members(ldap, group_dn, [second, second]) == 1
    assert remove_member(ldap, group_dn, second) is False
    assert remove_member(ldap, group_dn, first) is True
    assert converge_members(ldap, group_dn, [second]).added == [second]
    assert [same_dn(dn, second) for dn in get_members(ldap, group_dn)] == [True]
    assert [g.guid for g in list_groups(ldap, test_ou)] == [group]


def test_summarise_finds_an_ou_by_dn_or_guid(ldap, test_ou):
    guid = ensure_ou(ldap, test_ou, "Summed", description="Acme")

    by_dn = summarise(ldap, ou_dn(test_ou, "Summed"))
    by_guid = summarise(ldap, guid)

    assert by_dn == by_guid
    assert (by_dn.guid, by_dn.description) == (guid, "Acme")
    assert summarise(ldap, ou_dn(test_ou, "Nowhere")) is None


def test_ensure_container_makes_an_ou_and_only_looks_for_anything_else(ldap, test_ou):
    assert ensure_container(ldap, ou_dn(test_ou, "Made")) is True
    assert summarise(ldap, ou_dn(test_ou, "Made")) is not None
    assert ensure_container(ldap, f"CN=Absent,{test_ou}") is False


def test_check_password_policy_reports_settings_and_targets(ldap, test_ou):
    group = ensure_group(ldap, test_ou, f"P{secrets.token_hex(3)}")
    group_dn = dn_of(ldap, group)
    name = f"canopy-test-{secrets.token_hex(3)}"
    policy = PasswordPolicy(min_length=10, complexity=True, history_length=5, max_age_days=None)
    try:
        assert check_password_policy(ldap, name, policy) is None
        apply_password_policy(ldap, name, policy, [group_dn])

        found = check_password_policy(ldap, name, policy)
        assert same_dn(found.dn, password_policy_dn(ldap, name))
        assert found.differences == [] and found.applies_exactly_to([group_dn])
        stricter = dataclasses.replace(policy, min_length=12)
        [difference] = check_password_policy(ldap, name, stricter).differences
        assert (difference.attribute, difference.current, difference.wanted) == (
            "msDS-MinimumPasswordLength",
            ["10"],
            ["12"],
        )
        assert not found.applies_exactly_to([])
    finally:
        remove_password_policy(ldap, name)
