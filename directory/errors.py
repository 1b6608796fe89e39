"""What can go wrong talking to the directory, split by what the caller should do about it.

`TransientDirectoryError`: try again later (the DC is down, busy, slow or the connection
dropped). `PermanentDirectoryError`: retrying will not help until someone changes
something (a missing parent, a refused password, missing rights, bad configuration).

`map_error()` is the one place that turns ldap3 exceptions and LDAP result codes into
these. Messages carry the LDAP result and the server's diagnostic, plus a sentence a
portal user can read. They never contain a password: nothing here ever sees a request.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Mapping
from typing import Any

from ldap3.core import exceptions as ldap_exceptions

# LDAP result codes (RFC 4511 and the client-side codes ldap3/openldap use).
SUCCESS = 0
TIME_LIMIT_EXCEEDED = 3
STRONGER_AUTH_REQUIRED = 8
NO_SUCH_ATTRIBUTE = 16
CONSTRAINT_VIOLATION = 19
ATTRIBUTE_OR_VALUE_EXISTS = 20
INVALID_ATTRIBUTE_SYNTAX = 21
NO_SUCH_OBJECT = 32
INVALID_DN_SYNTAX = 34
INVALID_CREDENTIALS = 49
INSUFFICIENT_ACCESS_RIGHTS = 50
BUSY = 51
UNAVAILABLE = 52
UNWILLING_TO_PERFORM = 53
NAMING_VIOLATION = 64
OBJECT_CLASS_VIOLATION = 65
NOT_ALLOWED_ON_NON_LEAF = 66
ENTRY_ALREADY_EXISTS = 68
SERVER_DOWN = 81
TIMEOUT = 85
CONNECT_ERROR = 91

TRANSIENT_RESULTS = frozenset(
    {TIME_LIMIT_EXCEEDED, BUSY, UNAVAILABLE, SERVER_DOWN, TIMEOUT, CONNECT_ERROR}
)

_EXPLANATIONS = {
    TIME_LIMIT_EXCEEDED: "the directory took too long to answer",
    STRONGER_AUTH_REQUIRED: "the directory requires an encrypted connection for this",
    NO_SUCH_ATTRIBUTE: "the entry does not have that attribute or value",
    CONSTRAINT_VIOLATION: "the directory refused a value (too long, duplicated or not allowed)",
    ATTRIBUTE_OR_VALUE_EXISTS: "the value is already there",
    INVALID_ATTRIBUTE_SYNTAX: "a value is not in the format the directory expects",
    NO_SUCH_OBJECT: "the entry, or the container it should go in, does not exist",
    INVALID_DN_SYNTAX: "a directory name (DN) is malformed",
    INVALID_CREDENTIALS: "the user name or password was not accepted",
    INSUFFICIENT_ACCESS_RIGHTS: "the service account is not allowed to do this",
    BUSY: "the directory is busy",
    UNAVAILABLE: "the directory is unavailable",
    UNWILLING_TO_PERFORM: "the directory refused the operation",
    NAMING_VIOLATION: "that kind of entry cannot be created in that place",
    OBJECT_CLASS_VIOLATION: "the entry is missing required information or has unknown attributes",
    NOT_ALLOWED_ON_NON_LEAF: "the entry still contains other entries",
    ENTRY_ALREADY_EXISTS: "an entry with that name already exists",
    SERVER_DOWN: "the directory server cannot be reached",
    TIMEOUT: "the directory did not answer in time",
    CONNECT_ERROR: "could not connect to the directory server",
}

# AD's "data xxx" sub-codes in an invalidCredentials diagnostic.
_BIND_REASONS = {
    "525": "the account does not exist",
    "52e": "the password is wrong",
    "530": "the account may not sign in at this time",
    "531": "the account may not sign in from this workstation",
    "532": "the password has expired",
    "533": "the account is disabled",
    "701": "the account has expired",
    "773": "the password must be changed before signing in",
    "775": "the account is locked out",
}

# Windows error in the diagnostic when a password breaks the password policy.
_PASSWORD_POLICY_CODES = ("0000052D", "check_password_restrictions")


class DirectoryError(Exception):
    """Something the directory (or the way to it) refused or failed to do.

    `result` is the LDAP result code when there was one, `description` its name
    (``noSuchObject``), `diagnostic` the server's own message, `explanation` a plain
    sentence, `operation` and `dn` what was being attempted.
    """

    def __init__(
        self,
        explanation: str,
        *,
        result: int | None = None,
        description: str | None = None,
        diagnostic: str = "",
        operation: str | None = None,
        dn: str | None = None,
    ) -> None:
        self.explanation = explanation
        self.result = result
        self.description = description
        self.diagnostic = diagnostic
        self.operation = operation
        self.dn = dn
        super().__init__(self._message())

    def _message(self) -> str:
        where = " ".join(part for part in (self.operation, self.dn) if part)
        text = f"{where}: {self.explanation}" if where else self.explanation
        if self.result is not None:
            detail = f"LDAP result {self.result} {self.description or ''}".rstrip()
            if self.diagnostic:
                detail += f": {self.diagnostic}"
            text += f" ({detail})"
        elif self.diagnostic:
            text += f" ({self.diagnostic})"
        return text


class TransientDirectoryError(DirectoryError):
    """Worth retrying later: the server is down, busy, slow, or the connection broke."""


class PermanentDirectoryError(DirectoryError):
    """Retrying will not help until something is changed (data, rights or settings)."""


class NoSuchObjectError(PermanentDirectoryError):
    """The entry, or its parent, does not exist (``noSuchObject``)."""


class OutsideScopeError(PermanentDirectoryError):
    """The entry found lies outside the subtree the caller said it may change (an account
    moved out of its organisation, or one that was never Canopy's)."""


class AlreadyExistsError(PermanentDirectoryError):
    """An entry (or a unique value such as a sAMAccountName) is already taken."""


class AuthenticationError(PermanentDirectoryError):
    """A bind was refused: wrong password, disabled or locked account, ..."""


class PasswordRejectedError(PermanentDirectoryError):
    """The directory refused a password because of its password policy."""


class InsecureConnectionError(PermanentDirectoryError):
    """Refused to send credentials over an unencrypted connection."""


def _bind_reason(diagnostic: str) -> str | None:
    marker = diagnostic.lower().find("data ")
    if marker < 0:
        return None
    code = diagnostic[marker + 5 : marker + 8].lower()
    return _BIND_REASONS.get(code)


def _from_result(
    result: Mapping[str, Any], *, operation: str | None, dn: str | None, password: bool
) -> DirectoryError:
    code = int(result.get("result", -1))
    description = str(result.get("description") or "")
    diagnostic = str(result.get("message") or "").strip().rstrip("\x00")
    explanation = _EXPLANATIONS.get(code, "the directory refused the operation")
    kwargs: dict[str, Any] = {
        "result": code,
        "description": description,
        "diagnostic": diagnostic,
        "operation": operation,
        "dn": dn,
    }
    policy_refusal = any(marker.lower() in diagnostic.lower() for marker in _PASSWORD_POLICY_CODES)
    if password and code in (CONSTRAINT_VIOLATION, UNWILLING_TO_PERFORM) and policy_refusal:
        return PasswordRejectedError(
            "the password does not meet the password policy "
            "(length, complexity, history or minimum age)",
            **kwargs,
        )
    if code in TRANSIENT_RESULTS:
        return TransientDirectoryError(explanation, **kwargs)
    if code == NO_SUCH_OBJECT:
        return NoSuchObjectError(explanation, **kwargs)
    if code == ENTRY_ALREADY_EXISTS:
        return AlreadyExistsError(explanation, **kwargs)
    if code == INVALID_CREDENTIALS:
        reason = _bind_reason(diagnostic)
        return AuthenticationError(f"{explanation}: {reason}" if reason else explanation, **kwargs)
    if code == STRONGER_AUTH_REQUIRED:
        return InsecureConnectionError(explanation, **kwargs)
    return PermanentDirectoryError(explanation, **kwargs)


_CERTIFICATE_FAILED = (
    "the directory's TLS certificate could not be verified "
    "(check the CA file and that the URL's host name is in the certificate)"
)

# What the client library raises without a result code, in the order it is checked:
# (exception types, the error it becomes, the sentence a portal user reads).
_CLIENT_FAILURES: tuple[tuple[Any, type[DirectoryError], str], ...] = (
    (
        ldap_exceptions.LDAPStartTLSError,
        PermanentDirectoryError,
        "StartTLS failed: the server did not accept or complete TLS",
    ),
    (ldap_exceptions.LDAPSocketOpenError, TransientDirectoryError, _EXPLANATIONS[CONNECT_ERROR]),
    (
        ldap_exceptions.LDAPResponseTimeoutError | socket.timeout | TimeoutError,
        TransientDirectoryError,
        _EXPLANATIONS[TIMEOUT],
    ),
    (
        ldap_exceptions.LDAPCommunicationError
        | ldap_exceptions.LDAPMaximumRetriesError
        | ConnectionError
        | OSError,
        TransientDirectoryError,
        "the connection to the directory was lost",
    ),
)


def _from_exception(
    exc: BaseException, *, operation: str | None, dn: str | None, password: bool
) -> DirectoryError:
    if isinstance(exc, DirectoryError):
        return exc
    if isinstance(exc, ldap_exceptions.LDAPOperationResult):
        return _from_result(
            {
                "result": exc.result,
                "description": exc.description,
                "message": exc.message,
            },
            operation=operation,
            dn=dn,
            password=password,
        )
    text = str(exc)
    if isinstance(exc, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text:
        return PermanentDirectoryError(
            _CERTIFICATE_FAILED, diagnostic=text, operation=operation, dn=dn
        )
    for types, kind, explanation in _CLIENT_FAILURES:
        if isinstance(exc, types):
            return kind(explanation, diagnostic=text, operation=operation, dn=dn)
    return PermanentDirectoryError(
        "the directory client failed",
        diagnostic=f"{type(exc).__name__}: {text}",
        operation=operation,
        dn=dn,
    )


def map_error(
    failure: BaseException | Mapping[str, Any],
    *,
    operation: str | None = None,
    dn: str | None = None,
    password: bool = False,
) -> DirectoryError:
    """Turn an ldap3 exception, or a failed LDAP result dict, into a `DirectoryError`.

    `password=True` says the operation wrote a password, so that a policy refusal becomes
    a `PasswordRejectedError`.
    """
    if isinstance(failure, BaseException):
        return _from_exception(failure, operation=operation, dn=dn, password=password)
    return _from_result(failure, operation=operation, dn=dn, password=password)
