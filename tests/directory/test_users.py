"""User accounts: created finished and able to sign in, corrected, never duplicated."""

import dataclasses
import logging
import secrets

import pytest

from directory import (
    AlreadyExistsError,
    AuthenticationError,
    NewUser,
    PasswordRejectedError,
    PermanentDirectoryError,
    cn_dn,
    connect,
    create_users,
    delete_user,
    disable_user,
    enable_user,
    ensure_ou,
    ensure_user,
    find_user_by_guid,
    find_user_by_upn,
    generate_sam_account_name,
    is_enabled,
    list_children,
    ops,
    ou_dn,
    read_entry,
    same_dn,
    set_password,
    verify_password,
)
from directory.dn import rdn
from directory.entry import integer, text, texts
from directory.sam import clean_sam_account_name
from tests.directory.conftest import PASSWORD, spec_for

pytestmark = pytest.mark.directory


def _sign_in(samba_dc, upn, password=PASSWORD):
    """Bind as the user on a connection of its own; raises if the DC says no."""
    conn = connect(dataclasses.replace(samba_dc, bind_user=upn, password=password))
    conn.unbind()


def test_a_new_user_is_enabled_and_can_sign_in_with_its_upn(ldap, samba_dc, test_ou):
    stem = _unique_stem("jdoe")
    spec = spec_for(stem, given_name="Jane", surname="Doe", display_name="Jane Doe")

    result = ensure_user(ldap, test_ou, spec, password=PASSWORD)

    assert result.created
    assert result.sam_account_name == stem
    assert same_dn(result.dn, cn_dn(test_ou, "Jane Doe"))
    entry = read_entry(ldap, result.guid)
    assert integer(entry, "userAccountControl") == 512
    assert (text(entry, "givenName"), text(entry, "sn"), text(entry, "mail")) == (
        "Jane",
        "Doe",
        f"{stem}@example.com",
    )
    assert verify_password(samba_dc, spec.upn, PASSWORD)
    _sign_in(samba_dc, spec.upn)


def test_ensure_user_twice_makes_one_account_with_the_same_guid(ldap, test_ou):
    spec = spec_for()
    first = ensure_user(ldap, test_ou, spec, password=PASSWORD)

    second = ensure_user(ldap, test_ou, spec, password=PASSWORD)

    assert second.guid == first.guid
    assert not second.created
    assert len(list_children(ldap, test_ou, "user")) == 1


def test_disabling_stops_sign_in_and_enabling_restores_it(ldap, samba_dc, test_ou, make_user):
    user = make_user(test_ou)
    upn = text(read_entry(ldap, user.dn), "userPrincipalName")

    disable_user(ldap, user.dn)

    assert not is_enabled(ldap, user.dn)
    with pytest.raises(AuthenticationError, match="disabled"):
        _sign_in(samba_dc, upn)

    enable_user(ldap, user.dn)

    assert is_enabled(ldap, user.dn)
    _sign_in(samba_dc, upn)


def test_ensure_user_with_enabled_false_disables_an_existing_account(ldap, test_ou):
    spec = spec_for()
    ensure_user(ldap, test_ou, spec, password=PASSWORD)

    result = ensure_user(ldap, test_ou, spec, enabled=False)

    assert not is_enabled(ldap, result.dn)


def test_a_password_reset_with_must_change_blocks_sign_in_until_changed(
    ldap, samba_dc, test_ou, make_user
):
    user = make_user(test_ou)
    upn = text(read_entry(ldap, user.dn), "userPrincipalName")

    set_password(ldap, user.dn, "Reset-by-helpdesk-9", must_change=True)

    assert integer(read_entry(ldap, user.dn, ["pwdLastSet"]), "pwdLastSet") == 0
    with pytest.raises(AuthenticationError, match="must be changed"):
        _sign_in(samba_dc, upn, "Reset-by-helpdesk-9")

    set_password(ldap, user.dn, "Chosen-by-user-9")

    _sign_in(samba_dc, upn, "Chosen-by-user-9")
    with pytest.raises(AuthenticationError, match="password is wrong"):
        _sign_in(samba_dc, upn, PASSWORD)


def test_a_new_user_can_be_created_with_must_change_password(ldap, samba_dc, test_ou):
    spec = spec_for()

    ensure_user(ldap, test_ou, spec, password=PASSWORD, must_change_password=True)

    with pytest.raises(AuthenticationError, match="must be changed"):
        _sign_in(samba_dc, spec.upn)


def test_a_user_renamed_and_moved_by_hand_is_found_by_guid_and_put_back(ldap, test_ou):
    spec = spec_for(display_name="John Smith")
    created = ensure_user(ldap, test_ou, spec, password=PASSWORD)
    ensure_ou(ldap, test_ou, "Elsewhere")
    ops.rename(ldap, created.dn, rdn("CN", "Johnny"), ou_dn(test_ou, "Elsewhere"))
    ops.modify(
        ldap,
        cn_dn(ou_dn(test_ou, "Elsewhere"), "Johnny"),
        ops.replace_changes({"displayName": ["Johnny"], "telephoneNumber": ["+44 20 0000 0000"]}),
    )

    again = ensure_user(ldap, test_ou, spec, guid=created.guid)

    assert again.guid == created.guid
    assert same_dn(again.dn, cn_dn(test_ou, "John Smith"))
    entry = read_entry(ldap, created.guid)
    assert same_dn(entry["dn"], cn_dn(test_ou, "John Smith"))
    assert text(entry, "displayName") == "John Smith"
    assert text(entry, "telephoneNumber") == "+44 20 0000 0000"  # not managed: left alone
    assert list_children(ldap, ou_dn(test_ou, "Elsewhere")) == []


def test_a_changed_upn_is_applied_to_the_account_found_by_guid(ldap, samba_dc, test_ou):
    spec = spec_for()
    created = ensure_user(ldap, test_ou, spec, password=PASSWORD)
    renamed = dataclasses.replace(spec, upn="renamed." + spec.upn)

    ensure_user(ldap, test_ou, renamed, guid=created.guid)

    assert find_user_by_upn(ldap, spec.upn) is None
    assert find_user_by_upn(ldap, renamed.upn)["guid"] == created.guid
    _sign_in(samba_dc, renamed.upn)


def test_extra_attributes_are_set_exactly_and_an_empty_list_removes_them(ldap, test_ou):
    spec = spec_for(
        extra={
            "proxyAddresses": ["SMTP:john@example.com", "smtp:js@example.com"],
            "homeDirectory": ["\\\\files\\home\\john"],
        }
    )
    user = ensure_user(ldap, test_ou, spec, password=PASSWORD)
    entry = read_entry(ldap, user.dn)
    assert sorted(texts(entry, "proxyAddresses")) == [
        "SMTP:john@example.com",
        "smtp:js@example.com",
    ]
    assert text(entry, "homeDirectory") == "\\\\files\\home\\john"

    spec.extra = {"proxyAddresses": ["SMTP:john@example.com"], "homeDirectory": []}
    ensure_user(ldap, test_ou, spec, guid=user.guid)

    entry = read_entry(ldap, user.dn)
    assert texts(entry, "proxyAddresses") == ["SMTP:john@example.com"]
    assert text(entry, "homeDirectory") is None


def test_two_people_with_the_same_name_in_one_ou_both_get_accounts(ldap, test_ou):
    stem = _unique_stem("twin")
    first = ensure_user(ldap, test_ou, spec_for(stem, display_name="John Smith"))
    second_spec = spec_for(stem, display_name="John Smith")
    second = ensure_user(ldap, test_ou, second_spec)

    assert first.sam_account_name == stem
    assert second.sam_account_name == f"{stem}1"
    assert same_dn(second.dn, cn_dn(test_ou, f"John Smith ({stem}1)"))
    # ... and the fallback name is kept, not fought over, on the next run.
    assert ensure_user(ldap, test_ou, second_spec, guid=second.guid).dn == second.dn


def test_a_upn_that_belongs_to_an_account_in_another_ou_is_not_taken_over(ldap, test_ou):
    ensure_ou(ldap, test_ou, "Other tenant")
    spec = spec_for()
    ensure_user(ldap, ou_dn(test_ou, "Other tenant"), spec, password=PASSWORD)

    with pytest.raises(AlreadyExistsError, match="already belongs to another account"):
        ensure_user(ldap, test_ou, spec, password=PASSWORD)


def test_an_interrupted_creation_is_finished_on_the_next_call(ldap, samba_dc, test_ou):
    spec = spec_for(display_name="Half Made")
    # What a worker that died right after the add leaves behind: disabled, no password.
    ops.add(
        ldap,
        cn_dn(test_ou, "Half Made"),
        ["top", "person", "organizationalPerson", "user"],
        {"sAMAccountName": ["halfmade"], "userPrincipalName": [spec.upn]},
    )

    result = ensure_user(ldap, test_ou, spec, password=PASSWORD)

    assert not result.created
    assert integer(read_entry(ldap, result.dn), "userAccountControl") == 512
    _sign_in(samba_dc, spec.upn)


def test_a_refused_password_leaves_no_account_and_is_never_repeated(ldap, test_ou, caplog):
    spec = spec_for()
    secret = "aA1!"  # too short for the domain's default policy (7 characters)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(PasswordRejectedError) as caught:
        ensure_user(ldap, test_ou, spec, password=secret)

    assert "password policy" in str(caught.value)
    assert secret not in str(caught.value)
    assert secret not in repr(caught.value.__cause__)
    assert secret not in caplog.text
    assert find_user_by_upn(ldap, spec.upn) is None


def test_set_password_refusal_never_shows_the_password(ldap, test_ou, make_user):
    user = make_user(test_ou)

    with pytest.raises(PasswordRejectedError) as caught:
        set_password(ldap, user.dn, "alllowercaseletters")

    assert "alllowercaseletters" not in str(caught.value)
    assert caught.value.result == 19


def test_delete_user_is_idempotent(ldap, test_ou, make_user):
    user = make_user(test_ou)

    assert delete_user(ldap, user.dn) is True
    assert delete_user(ldap, user.dn) is False
    assert find_user_by_guid(ldap, user.guid) is None


# --- sAMAccountName ------------------------------------------------------------------------


def _unique_stem(prefix: str) -> str:
    """Logon names are unique across the whole domain, which parallel tests share."""
    return f"{prefix}{secrets.token_hex(3)}"


def test_a_taken_logon_name_gets_the_next_free_number(ldap, test_ou, make_user):
    stem = _unique_stem("taken")
    make_user(test_ou, stem)
    make_user(test_ou, f"{stem}1")

    assert generate_sam_account_name(ldap, stem) == f"{stem}2"


def test_a_long_logon_name_is_cut_to_20_characters_and_numbered_within_them(
    ldap, test_ou, make_user
):
    long_name = _unique_stem("averylongname")  # 19 characters
    long_name += "xyz"  # 22 characters

    first = make_user(test_ou, long_name)
    second = make_user(test_ou, long_name)

    assert first.sam_account_name == long_name[:20]
    assert second.sam_account_name == long_name[:19] + "1"


def test_logon_names_compare_ignoring_case(ldap, test_ou, make_user):
    stem = _unique_stem("Mixed")
    make_user(test_ou, stem)

    assert generate_sam_account_name(ldap, stem.lower()) == f"{stem.lower()}1"


@pytest.mark.parametrize(
    ("preferred", "expected"),
    [
        ("José Ñúñez", "JoseNunez"),
        ("o'brien@acme", "obrienacme"),
        ("日本", "user"),
        ("...dots...", "dots"),
        ('a/b\\c[d]e:f;g|h=i,j+k*l?m<n>o"p', "abcdefghijklmnop"),
    ],
)
def test_logon_names_keep_only_characters_ad_accepts(preferred, expected):
    assert clean_sam_account_name(preferred) == expected


def test_no_password_is_sent_while_ldap3_would_log_it(ldap, test_ou, make_user):
    from ldap3.utils.log import OFF, PROTOCOL, set_library_log_detail_level

    user = make_user(test_ou)
    set_library_log_detail_level(PROTOCOL)
    try:
        with pytest.raises(PermanentDirectoryError, match="protocol logging"):
            set_password(ldap, user.dn, "Would-be-logged-1")
    finally:
        set_library_log_detail_level(OFF)


def test_new_accounts_are_made_in_a_batch_finished_like_ensure_user_makes_them(
    ldap, samba_dc, test_ou
):
    stems = [_unique_stem("batch") for _ in range(3)]
    wanted = [
        NewUser(spec_for(stems[0]), password=PASSWORD),
        NewUser(spec_for(stems[1]), enabled=False),
        NewUser(spec_for(stems[2]), password=PASSWORD, must_change_password=True),
    ]

    results = create_users(ldap, test_ou, wanted)

    assert all(result is not None and result.created for result in results)
    assert [result.sam_account_name for result in results] == stems
    entries = [read_entry(ldap, result.guid) for result in results]
    assert [integer(entry, "userAccountControl") for entry in entries] == [512, 514, 512]
    assert [same_dn(entry["dn"], result.dn) for entry, result in zip(entries, results)] == [
        True
    ] * 3
    assert integer(entries[2], "pwdLastSet") == 0  # must change at next sign-in
    _sign_in(samba_dc, wanted[0].spec.upn)
    assert "Canopy" not in repr(wanted[0])  # the password stays out of reprs


def test_a_batch_leaves_to_ensure_user_what_is_taken_or_twice_in_it(ldap, test_ou, make_user):
    taken = make_user(test_ou, _unique_stem("taken"))
    existing = read_entry(ldap, taken.guid)
    same_name = spec_for(_unique_stem("twice"))
    same_cn = spec_for(_unique_stem("cn"), display_name=text(existing, "displayName"))
    wanted = [
        NewUser(spec_for(taken.sam_account_name)),  # logon name taken in the domain
        NewUser(spec_for("other", upn=text(existing, "userPrincipalName"))),  # UPN taken
        NewUser(same_name),
        NewUser(dataclasses.replace(same_name, upn=f"x.{same_name.upn}")),  # same logon name
        NewUser(same_cn),  # its CN is taken in the OU: the add is refused
        NewUser(spec_for(_unique_stem("fine"))),
    ]

    results = create_users(ldap, test_ou, wanted)

    assert [result is not None for result in results] == [False, False, True, False, False, True]
    assert find_user_by_upn(ldap, same_cn.upn) is None  # nothing half-made
    # ensure_user's careful way then makes the one whose CN was taken, under another CN
    assert ensure_user(ldap, test_ou, same_cn).created


def test_a_refused_password_in_a_batch_leaves_no_account(ldap, test_ou):
    spec = spec_for(_unique_stem("weak"))

    assert create_users(ldap, test_ou, [NewUser(spec, password="a")]) == [None]
    assert find_user_by_upn(ldap, spec.upn) is None


def test_without_looking_first_the_dcs_own_refusal_of_a_taken_upn_declines_the_account(
    ldap, test_ou, make_user
):
    taken = read_entry(ldap, make_user(test_ou, _unique_stem("held")).guid)
    other_ou_spec = spec_for(_unique_stem("again"), upn=text(taken, "userPrincipalName"))
    fine = spec_for(_unique_stem("free"))

    results = create_users(ldap, test_ou, [NewUser(other_ou_spec), NewUser(fine)], look_first=False)

    assert results[0] is None and results[1] is not None and results[1].created
    assert find_user_by_upn(ldap, other_ou_spec.upn)["dn"] == taken["dn"]
