"""UPN suffixes: a customer's domains become sign-in suffixes, once, in any case."""

import secrets

import pytest

from directory import add_upn_suffix, list_upn_suffixes, remove_upn_suffix

pytestmark = pytest.mark.directory


@pytest.fixture
def suffix(ldap, samba_dc):
    """A domain of this test's own; UPN suffixes are forest-wide, so it is removed here."""
    name = f"acme-{secrets.token_hex(4)}.example"
    yield name
    remove_upn_suffix(ldap, samba_dc.base_dn, name)


def test_an_added_suffix_is_listed_once_whatever_its_case(ldap, samba_dc, suffix):
    assert add_upn_suffix(ldap, samba_dc.base_dn, suffix) is True
    assert add_upn_suffix(ldap, samba_dc.base_dn, suffix.upper()) is False

    listed = [s for s in list_upn_suffixes(ldap, samba_dc.base_dn) if s.lower() == suffix]
    assert listed == [suffix]


def test_a_removed_suffix_is_gone_and_removing_again_is_fine(ldap, samba_dc, suffix):
    add_upn_suffix(ldap, samba_dc.base_dn, suffix)

    assert remove_upn_suffix(ldap, samba_dc.base_dn, suffix.upper()) is True
    assert remove_upn_suffix(ldap, samba_dc.base_dn, suffix) is False
    assert suffix not in list_upn_suffixes(ldap, samba_dc.base_dn)


def test_something_that_is_not_a_domain_is_refused(ldap, samba_dc):
    with pytest.raises(ValueError):
        add_upn_suffix(ldap, samba_dc.base_dn, "acme.example)(cn=*")
