"""Groups: one per name, found again by GUID, members set exactly and minimally."""

import secrets

import pytest

from directory import (
    GLOBAL_SECURITY_GROUP,
    NoSuchObjectError,
    cn_dn,
    delete_group,
    ensure_group,
    ensure_ou,
    get_members,
    list_children,
    ops,
    ou_dn,
    read_entry,
    same_dn,
    set_members,
)
from directory.dn import rdn
from directory.entry import integer, text

pytestmark = pytest.mark.directory


def _users(make_user, ou, count):
    return [make_user(ou, f"member{number}", enabled=False).dn for number in range(count)]


def test_ensure_group_twice_makes_one_global_security_group(ldap, test_ou):
    name = f"ACME{secrets.token_hex(3)}-AllUsers"  # logon names are domain-wide

    first = ensure_group(ldap, test_ou, name, description="Every Acme user")
    second = ensure_group(ldap, test_ou, name, description="Every Acme user")

    assert first == second
    groups = list_children(ldap, test_ou, "group")
    assert len(groups) == 1
    assert integer(groups[0], "groupType") == GLOBAL_SECURITY_GROUP
    assert text(groups[0], "sAMAccountName") == name
    assert text(groups[0], "description") == "Every Acme user"


def test_groups_with_the_same_name_in_two_tenants_get_distinct_logon_names(ldap, test_ou):
    ensure_ou(ldap, test_ou, "A")
    ensure_ou(ldap, test_ou, "B")

    ensure_group(ldap, ou_dn(test_ou, "A"), "Shared-Name")
    ensure_group(ldap, ou_dn(test_ou, "B"), "Shared-Name")

    names = {
        text(read_entry(ldap, cn_dn(ou_dn(test_ou, ou), "Shared-Name")), "sAMAccountName")
        for ou in "AB"
    }
    assert len(names) == 2


def test_a_group_renamed_by_hand_is_renamed_back(ldap, test_ou):
    guid = ensure_group(ldap, test_ou, "ACME-VPN")
    ops.rename(ldap, cn_dn(test_ou, "ACME-VPN"), rdn("CN", "Someone renamed me"))

    assert ensure_group(ldap, test_ou, "ACME-VPN", guid=guid) == guid

    assert [text(g, "cn") for g in list_children(ldap, test_ou, "group")] == ["ACME-VPN"]


def test_set_members_makes_membership_exactly_the_given_list(ldap, test_ou, make_user):
    group = cn_dn(test_ou, "ACME-VPN")
    ensure_group(ldap, test_ou, "ACME-VPN")
    alice, bob, carol = _users(make_user, test_ou, 3)
    set_members(ldap, group, [alice, bob, carol])

    change = set_members(ldap, group, [alice, bob])

    assert change.added == []
    assert [same_dn(dn, carol) for dn in change.removed] == [True]
    assert sorted(map(str.lower, get_members(ldap, group))) == sorted([alice.lower(), bob.lower()])


def test_set_members_with_the_same_members_changes_nothing(ldap, test_ou, make_user):
    group = cn_dn(test_ou, "ACME-VPN")
    ensure_group(ldap, test_ou, "ACME-VPN")
    alice, bob = _users(make_user, test_ou, 2)
    set_members(ldap, group, [alice, bob])

    # Same people, spelt differently: other case, other spacing.
    change = set_members(ldap, group, [bob.upper(), alice.replace(",", ", ")])

    assert not change.changed


def test_set_members_to_nobody_empties_the_group(ldap, test_ou, make_user):
    group = cn_dn(test_ou, "ACME-VPN")
    ensure_group(ldap, test_ou, "ACME-VPN")
    set_members(ldap, group, _users(make_user, test_ou, 2))

    set_members(ldap, group, [])

    assert get_members(ldap, group) == []


def test_a_member_that_does_not_exist_is_refused_and_nothing_changes(ldap, test_ou, make_user):
    group = cn_dn(test_ou, "ACME-VPN")
    ensure_group(ldap, test_ou, "ACME-VPN")
    (alice,) = _users(make_user, test_ou, 1)

    with pytest.raises(NoSuchObjectError):
        set_members(ldap, group, [alice, cn_dn(test_ou, "Nobody")])

    assert get_members(ldap, group) == []


def test_members_are_read_in_ranges_when_the_server_sends_them_in_parts(ldap, test_ou, make_user):
    group = cn_dn(test_ou, "ACME-VPN")
    ensure_group(ldap, test_ou, "ACME-VPN")
    members = _users(make_user, test_ou, 5)
    set_members(ldap, group, members)

    read = get_members(ldap, group, range_step=2)

    assert sorted(map(str.lower, read)) == sorted(map(str.lower, members))


def test_delete_group_is_idempotent(ldap, test_ou):
    ensure_group(ldap, test_ou, "ACME-VPN")

    assert delete_group(ldap, cn_dn(test_ou, "ACME-VPN")) is True
    assert delete_group(ldap, cn_dn(test_ou, "ACME-VPN")) is False


def test_same_named_groups_created_at_once_in_many_tenants_all_succeed(samba_dc, ldap, test_ou):
    from concurrent.futures import ThreadPoolExecutor

    from directory import connect

    name = f"Race{secrets.token_hex(3)}-AllUsers"
    tenants = [f"T{number}" for number in range(6)]
    for tenant in tenants:
        ensure_ou(ldap, test_ou, tenant)

    def create(tenant):
        conn = connect(samba_dc)  # one connection each, like separate workers
        try:
            return ensure_group(conn, ou_dn(test_ou, tenant), name)
        finally:
            conn.unbind()

    with ThreadPoolExecutor(len(tenants)) as pool:
        guids = list(pool.map(create, tenants))

    assert len(set(guids)) == len(tenants)
    names = {
        text(read_entry(ldap, cn_dn(ou_dn(test_ou, tenant), name)), "sAMAccountName")
        for tenant in tenants
    }
    assert len(names) == len(tenants)
