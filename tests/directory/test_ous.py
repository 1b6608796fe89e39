"""OUs: idempotent, found again by GUID after a rename, deleted as a whole tree."""

import pytest

from directory import (
    NoSuchObjectError,
    PermanentDirectoryError,
    delete_tree,
    ensure_group,
    ensure_ou,
    list_children,
    ops,
    ou_dn,
    read_entry,
)
from directory.dn import rdn
from directory.entry import text

pytestmark = pytest.mark.directory


def test_ensure_ou_twice_makes_one_ou_with_the_same_guid(ldap, test_ou):
    first = ensure_ou(ldap, test_ou, "Acme", description="Acme Ltd")
    second = ensure_ou(ldap, test_ou, "Acme", description="Acme Ltd")

    assert first == second
    assert len(list_children(ldap, test_ou, "organizationalUnit")) == 1


def test_ensure_ou_corrects_a_changed_description(ldap, test_ou):
    ensure_ou(ldap, test_ou, "Acme", description="Old name")

    ensure_ou(ldap, test_ou, "Acme", description="New name")

    assert text(read_entry(ldap, ou_dn(test_ou, "Acme")), "description") == "New name"


def test_a_description_of_none_is_left_alone_and_empty_removes_it(ldap, test_ou):
    ensure_ou(ldap, test_ou, "Acme", description="Set by hand")

    ensure_ou(ldap, test_ou, "Acme")
    assert text(read_entry(ldap, ou_dn(test_ou, "Acme")), "description") == "Set by hand"

    ensure_ou(ldap, test_ou, "Acme", description="")
    assert text(read_entry(ldap, ou_dn(test_ou, "Acme")), "description") is None


def test_an_ou_renamed_by_hand_is_renamed_back_not_duplicated(ldap, test_ou):
    guid = ensure_ou(ldap, test_ou, "Acme")
    ops.rename(ldap, ou_dn(test_ou, "Acme"), rdn("OU", "Renamed by an admin"))

    again = ensure_ou(ldap, test_ou, "Acme", guid=guid)

    assert again == guid
    children = list_children(ldap, test_ou, "organizationalUnit")
    assert [text(child, "ou") for child in children] == ["Acme"]


def test_an_ou_moved_by_hand_is_moved_back(ldap, test_ou):
    guid = ensure_ou(ldap, test_ou, "Acme")
    elsewhere = ou_dn(test_ou, "Elsewhere")
    ensure_ou(ldap, test_ou, "Elsewhere")
    ops.rename(ldap, ou_dn(test_ou, "Acme"), rdn("OU", "Acme"), elsewhere)

    ensure_ou(ldap, test_ou, "Acme", guid=guid)

    assert read_entry(ldap, ou_dn(test_ou, "Acme"))["guid"] == guid
    assert list_children(ldap, elsewhere) == []


def test_a_change_of_capitals_is_applied(ldap, test_ou):
    guid = ensure_ou(ldap, test_ou, "acme")

    ensure_ou(ldap, test_ou, "ACME", guid=guid)

    assert [text(c, "ou") for c in list_children(ldap, test_ou)] == ["ACME"]


def test_an_ou_whose_guid_is_gone_is_created_again(ldap, test_ou):
    old = ensure_ou(ldap, test_ou, "Acme")
    delete_tree(ldap, ou_dn(test_ou, "Acme"))

    new = ensure_ou(ldap, test_ou, "Acme", guid=old)

    assert new != old
    assert read_entry(ldap, new)["guid"] == new


def test_delete_tree_removes_an_ou_with_everything_in_it(ldap, test_ou):
    ensure_ou(ldap, test_ou, "Acme")
    acme = ou_dn(test_ou, "Acme")
    ensure_ou(ldap, acme, "Users")
    ensure_group(ldap, acme, "Acme-AllUsers")

    assert delete_tree(ldap, acme) is True

    assert read_entry(ldap, acme) is None


def test_delete_tree_of_something_already_gone_is_fine(ldap, test_ou):
    assert delete_tree(ldap, ou_dn(test_ou, "Never existed")) is False


def test_creating_under_a_missing_parent_says_so_plainly(ldap, test_ou):
    missing = ou_dn(test_ou, "Missing")

    with pytest.raises(PermanentDirectoryError) as caught:
        ensure_ou(ldap, missing, "Child")

    assert isinstance(caught.value, NoSuchObjectError)
    assert caught.value.result == 32
    message = str(caught.value)
    assert "does not exist" in message
    assert "noSuchObject" in message
    assert "OU=Child" in message


def test_a_guid_of_something_else_is_not_turned_into_an_ou(ldap, test_ou):
    group = ensure_group(ldap, test_ou, "ACME-VPN")

    with pytest.raises(PermanentDirectoryError, match="not a organizationalUnit"):
        ensure_ou(ldap, test_ou, "Acme", guid=group)
