"""Connections: encrypted and verified or not at all, classified failures, one per process."""

import dataclasses
import multiprocessing
import socket

import pytest

from directory import (
    AuthenticationError,
    InsecureConnectionError,
    PermanentDirectoryError,
    TransientDirectoryError,
    connect,
    get_connection,
    read_entry,
    reset_connection,
    verify_password,
)

pytestmark = pytest.mark.directory


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_it_binds_over_ldaps_and_verifies_the_certificate(samba_dc):
    conn = connect(samba_dc)
    try:
        assert conn.bound
        assert read_entry(conn, samba_dc.base_dn, ["dc"])["guid"] is not None
    finally:
        conn.unbind()


def test_it_refuses_to_bind_over_plain_ldap_without_starttls(samba_dc):
    config = dataclasses.replace(samba_dc, url="ldap://127.0.0.1:389")

    with pytest.raises(InsecureConnectionError) as caught:
        connect(config)

    assert "unencrypted" in str(caught.value)


def test_starttls_on_plain_ldap_is_accepted(samba_dc):
    config = dataclasses.replace(samba_dc, url="ldap://127.0.0.1:389", use_starttls=True)

    conn = connect(config)
    try:
        assert conn.tls_started
        assert conn.bound
    finally:
        conn.unbind()


def test_a_closed_port_is_a_transient_error(samba_dc):
    config = dataclasses.replace(
        samba_dc, url=f"ldaps://127.0.0.1:{_closed_port()}", connect_timeout=2
    )

    with pytest.raises(TransientDirectoryError) as caught:
        connect(config)

    assert "could not connect" in str(caught.value)


def test_a_certificate_that_does_not_name_the_host_is_refused(samba_dc):
    # The DC also listens on ::1, which its certificate does not name.
    config = dataclasses.replace(samba_dc, url="ldaps://[::1]:636")

    with pytest.raises(PermanentDirectoryError) as caught:
        connect(config)

    assert "certificate could not be verified" in str(caught.value)


def test_a_certificate_from_another_ca_is_refused(samba_dc, tmp_path):
    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_text(_any_other_ca_certificate())
    config = dataclasses.replace(samba_dc, ca_file=str(other_ca))

    with pytest.raises(PermanentDirectoryError, match="certificate could not be verified"):
        connect(config)


def _any_other_ca_certificate() -> str:
    import ssl

    bundle = ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt"
    with open(bundle) as handle:
        text = handle.read()
    end = "-----END CERTIFICATE-----"
    return text[: text.index(end) + len(end)] + "\n"


def test_a_wrong_password_is_an_authentication_error_that_does_not_repeat_it(samba_dc):
    config = dataclasses.replace(samba_dc, password="Not-the-password-42")

    with pytest.raises(AuthenticationError) as caught:
        connect(config)

    assert "password is wrong" in str(caught.value)
    assert "Not-the-password-42" not in str(caught.value)
    assert "Not-the-password-42" not in repr(config)


def test_verify_password_answers_yes_or_no(samba_dc):
    assert verify_password(samba_dc, samba_dc.bind_user, samba_dc.password) is True
    assert verify_password(samba_dc, samba_dc.bind_user, "Wrong-password-1") is False


def test_the_process_keeps_one_connection_until_it_is_reset(samba_dc):
    reset_connection(samba_dc)
    first = get_connection(samba_dc)

    assert get_connection(samba_dc) is first

    reset_connection(samba_dc)
    assert get_connection(samba_dc) is not first
    reset_connection(samba_dc)


def test_a_transport_failure_drops_the_cached_connection(samba_dc):
    reset_connection(samba_dc)
    broken = get_connection(samba_dc)
    broken.socket.shutdown(socket.SHUT_RDWR)

    with pytest.raises(TransientDirectoryError):
        read_entry(broken, samba_dc.base_dn, ["dc"])

    fresh = get_connection(samba_dc)
    assert fresh is not broken
    assert read_entry(fresh, samba_dc.base_dn, ["dc"]) is not None
    reset_connection(samba_dc)


def _child_uses_its_own_connection(config, parent_conn_id, results):
    conn = get_connection(config)
    results.put((id(conn) != parent_conn_id, read_entry(conn, config.base_dn, ["dc"]) is not None))


def test_a_forked_worker_opens_its_own_connection_and_leaves_the_parents_alone(samba_dc):
    reset_connection(samba_dc)
    parent = get_connection(samba_dc)
    context = multiprocessing.get_context("fork")
    results = context.Queue()

    child = context.Process(
        target=_child_uses_its_own_connection, args=(samba_dc, id(parent), results)
    )
    child.start()
    child.join(30)

    assert results.get(timeout=5) == (True, True)
    assert get_connection(samba_dc) is parent
    assert read_entry(parent, samba_dc.base_dn, ["dc"]) is not None
    reset_connection(samba_dc)
