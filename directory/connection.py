"""Opening encrypted, verified, bound connections, and one cached connection per process.

Strategy: ldap3's ``SAFE_SYNC``. Every operation returns its own
``(status, result, response, request)`` tuple instead of leaving them on the shared
connection object, so one connection can be used from several threads (each call holds
the connection's lock). ``SAFE_RESTARTABLE`` was rejected: it silently retries writes and,
by default, keeps retrying a dead server instead of failing, and it has known trouble
re-establishing StartTLS. Here a transport failure raises `TransientDirectoryError` and
drops the cached connection, and the caller (a job step) decides when to retry.

Fixed settings, and why:
- ``get_info=NONE``: no schema download (hundreds of kB from AD) on every connect.
- ``check_names=False``, ``auto_escape=False``: `directory.dn` escapes DNs and filters;
  ldap3 re-parsing them would risk escaping twice.
- ``auto_range=False``, ``return_empty_attributes=False``: ranged attributes (``member``)
  are read explicitly; ldap3's automatic handling breaks on ranges in 2.9.1.
- ``auto_referrals=False``: AD's referrals name DNS hosts we do not want to chase.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time
from dataclasses import dataclass, replace

from ldap3 import BASE, NONE, SAFE_SYNC, Connection, Server, Tls
from ldap3.utils.log import set_library_log_hide_sensitive_data

from .config import DirectoryConfig
from .errors import AuthenticationError, DirectoryError, InsecureConnectionError, map_error

logger = logging.getLogger(__name__)

# Should anyone turn ldap3's own logging on, bind passwords are at least masked.
set_library_log_hide_sensitive_data(True)

# A cached connection idle for longer than this is probed (one cheap read) before it is
# handed out again: AD and Samba close idle connections after a while.
IDLE_PROBE_SECONDS = 30.0


def _close_quietly(conn: Connection) -> None:
    try:
        conn.unbind()
    except Exception:  # the socket may already be gone; nothing to do about it
        logger.debug("ignored an error while closing a directory connection", exc_info=True)


class _VerifiedTls(Tls):
    """TLS whose certificate and host-name checks are the standard library's own.

    ldap3 2.9.1 turns off the SSLContext's host-name check and matches names itself, with
    ``ssl.match_hostname`` (deprecated, removed in Python 3.12) or a backport that rejects
    IP addresses, so ``ldaps://127.0.0.1`` would stop verifying on Python 3.12. Here the
    context checks the name (DNS or IP) during the handshake, requires a certificate
    signed by the CA file (or the system's CAs when there is none) and at least TLS 1.2.
    """

    def wrap_socket(self, connection: Connection, do_handshake: bool = False) -> None:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ca_certs_file)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        connection.socket = context.wrap_socket(
            connection.socket,
            server_side=False,
            do_handshake_on_connect=do_handshake,
            server_hostname=connection.server.host,
        )


def connect(config: DirectoryConfig) -> Connection:
    """Open a new connection, encrypted (LDAPS or StartTLS) and verified, and bind.

    Refuses (`InsecureConnectionError`) to send the bind password over plain ldap://.
    Raises `TransientDirectoryError` when the server cannot be reached and
    `AuthenticationError` when the credentials are refused.
    """
    if not config.encrypted:
        raise InsecureConnectionError(
            "refusing to send the bind password over an unencrypted connection; "
            "use an ldaps:// URL or enable StartTLS",
            operation="connect",
            dn=config.url,
        )
    tls = _VerifiedTls(validate=ssl.CERT_REQUIRED, ca_certs_file=config.ca_file)
    server = Server(
        config.host,
        port=config.port,
        use_ssl=config.use_ssl,
        tls=tls,
        get_info=NONE,
        connect_timeout=config.connect_timeout,
    )
    conn = Connection(
        server,
        user=config.bind_user,
        password=config.password,
        client_strategy=SAFE_SYNC,
        receive_timeout=config.receive_timeout,
        raise_exceptions=False,
        check_names=False,
        auto_escape=False,
        auto_range=False,
        auto_referrals=False,
        return_empty_attributes=False,
    )
    try:
        conn.open()
        if config.use_starttls:
            status, result, _, _ = conn.start_tls()
            if not status or not conn.tls_started:
                raise map_error(result or {"result": 52}, operation="StartTLS", dn=config.url)
        status, result, _, _ = conn.bind()
        if not status:
            raise map_error(result, operation="bind as", dn=config.bind_user)
    except DirectoryError:
        _close_quietly(conn)
        raise
    except Exception as exc:  # ldap3 raises for sockets, TLS and timeouts
        _close_quietly(conn)
        raise map_error(exc, operation="connect to", dn=config.url) from exc
    logger.debug("connected to %s as %s", config.url, config.bind_user)
    return conn


def verify_password(config: DirectoryConfig, user: str, password: str) -> bool:
    """Whether `user` (a UPN) can bind with `password`; other failures still raise."""
    try:
        conn = connect(replace(config, bind_user=user, password=password))
    except AuthenticationError:
        return False
    _close_quietly(conn)
    return True


@dataclass
class _Cached:
    conn: Connection
    last_used: float


_lock = threading.Lock()
_cache: dict[DirectoryConfig, _Cached] = {}
_pid = os.getpid()


def _after_fork_in_child() -> None:
    """A forked child (a Celery prefork worker) must not share its parent's sockets.

    The inherited connections are forgotten, not unbound: an unbind would go out on the
    parent's socket and end the parent's session.
    """
    global _lock, _pid
    _lock = threading.Lock()
    _cache.clear()
    _pid = os.getpid()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _alive(conn: Connection) -> bool:
    try:
        _, result, _, _ = conn.search("", "(objectClass=*)", BASE, attributes=["currentTime"])
    except Exception:  # any failure means: do not reuse it
        return False
    return bool(result) and result.get("result") == 0


def get_connection(config: DirectoryConfig) -> Connection:
    """This process's connection for `config`, opened on first use.

    Rebuilt after a fork, after `reset_connection()`, after an operation in this package
    failed with a transient error, and when a connection idle for a while no longer
    answers.
    """
    with _lock:
        if os.getpid() != _pid:  # forked without register_at_fork (should not happen)
            _after_fork_in_child()
        now = time.monotonic()
        cached = _cache.get(config)
        if cached is not None and not cached.conn.closed:
            if now - cached.last_used < IDLE_PROBE_SECONDS or _alive(cached.conn):
                cached.last_used = now
                return cached.conn
            logger.info("cached directory connection to %s stopped answering", config.url)
        if cached is not None:
            _close_quietly(cached.conn)
            del _cache[config]
        conn = connect(config)
        _cache[config] = _Cached(conn, now)
        return conn


def reset_connection(config: DirectoryConfig | None = None) -> None:
    """Close and forget the cached connection for `config` (all of them if None)."""
    with _lock:
        configs = list(_cache) if config is None else [config]
        for key in configs:
            cached = _cache.pop(key, None)
            if cached is not None:
                _close_quietly(cached.conn)


def discard(conn: Connection) -> None:
    """Close `conn` after a transport failure; if it is a cached one, forget it too."""
    with _lock:
        for key, cached in list(_cache.items()):
            if cached.conn is conn:
                del _cache[key]
    _close_quietly(conn)
