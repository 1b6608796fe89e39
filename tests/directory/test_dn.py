"""DNs and filters: whatever a user types ends up as data, never as LDAP syntax."""

import uuid

import pytest

from directory import dn, ensure_ou, list_children, read_entry
from directory.entry import text

NASTY = '  Acme, Inc. + "Partners" <EU>; #1 = '
FOREIGN = "Société Générale 日本"


def test_special_characters_are_escaped_in_an_rdn():
    assert dn.rdn("OU", NASTY) == 'OU=\\  Acme\\, Inc. \\+ \\"Partners\\" \\<EU\\>\\; #1 \\=\\ '


def test_a_leading_hash_is_escaped():
    assert dn.rdn("CN", "#1 fan") == "CN=\\#1 fan"


def test_non_latin_letters_pass_through_unchanged():
    assert dn.ou_dn("DC=canopy,DC=test", FOREIGN) == f"OU={FOREIGN},DC=canopy,DC=test"


def test_control_characters_become_hex_escapes():
    assert dn.rdn("CN", "two\nlines") == "CN=two\\0Alines"


@pytest.mark.parametrize("value", [NASTY, FOREIGN, "#", " x ", "a\\b", "a*(b)", "two\nlines"])
def test_a_value_survives_the_round_trip_through_a_dn(value):
    built = dn.cn_dn("OU=Parent\\, Ltd.,DC=canopy,DC=test", value)

    assert dn.rdn_value(built) == value
    assert dn.parent_of(built) == "OU=Parent\\, Ltd.,DC=canopy,DC=test"


def test_empty_or_blank_names_are_refused():
    with pytest.raises(ValueError):
        dn.rdn("OU", "   ")


def test_attribute_names_cannot_smuggle_syntax():
    with pytest.raises(ValueError):
        dn.rdn("OU=x,CN", "y")
    with pytest.raises(ValueError):
        dn.eq("cn=*)(objectClass", "x")


def test_dns_compare_ignoring_case_spacing_and_escaping_style():
    assert dn.same_dn("CN=a\\;b, OU=Äpfel,DC=X", "cn=A\\3Bb,ou=äpfel,dc=x")
    assert not dn.same_dn("CN=a,OU=b,DC=x", "CN=a,OU=c,DC=x")


def test_utf8_hex_escapes_are_decoded():
    assert dn.rdn_value("OU=Soci\\C3\\A9t\\C3\\A9,DC=x") == "Société"


def test_is_within_and_domain_root():
    assert dn.is_within("CN=u,OU=t,DC=canopy,DC=test", "ou=T,dc=canopy,dc=test")
    assert not dn.is_within("DC=canopy,DC=test", "OU=t,DC=canopy,DC=test")
    assert dn.domain_root("CN=u,OU=t,DC=canopy,DC=test") == "DC=canopy,DC=test"


def test_filter_values_are_escaped():
    assert dn.eq("cn", "a*(b)\\") == "(cn=a\\2a\\28b\\29\\5c)"
    assert dn.and_(dn.eq("a", "1"), dn.or_(dn.eq("b", "2"), dn.eq("c", "3"))) == (
        "(&(a=1)(|(b=2)(c=3)))"
    )


def test_guid_filter_uses_the_little_endian_byte_layout():
    guid = uuid.UUID("01020304-0506-0708-090a-0b0c0d0e0f10")

    assert dn.guid_filter(guid) == (
        "(objectGUID=\\04\\03\\02\\01\\06\\05\\08\\07\\09\\0a\\0b\\0c\\0d\\0e\\0f\\10)"
    )


@pytest.mark.directory
def test_an_ou_with_a_nasty_name_is_created_and_read_back_exactly_once(ldap, test_ou):
    name = NASTY + FOREIGN + " \\ * ( )"

    guid = ensure_ou(ldap, test_ou, name)
    children = list_children(ldap, test_ou, "organizationalUnit")

    assert [text(child, "ou") for child in children] == [name]
    assert children[0]["guid"] == guid
    assert dn.same_dn(children[0]["dn"], dn.ou_dn(test_ou, name))
    assert read_entry(ldap, dn.ou_dn(test_ou, name), ["ou"])["guid"] == guid


@pytest.mark.directory
def test_a_filter_value_with_wildcards_matches_only_itself(ldap, test_ou):
    ensure_ou(ldap, test_ou, "star*")
    ensure_ou(ldap, test_ou, "starlight")
    from directory import ops

    found = ops.search(ldap, test_ou, dn.eq("ou", "star*"), attributes=["ou"])

    assert [text(entry, "ou") for entry in found] == ["star*"]
