"""Passwords in transit to a job: encrypted at rest in the job row, erased after use.

The key is ``CREDENTIAL_ENCRYPTION_KEY`` (a Fernet key) or, when that is empty, one derived
from ``SECRET_KEY`` with HKDF, so the laptop run needs no extra configuration.
"""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext as _


class CredentialError(Exception):
    """The stored credential cannot be decrypted (key changed, or it was tampered with)."""


@cache
def _fernet() -> Fernet:
    configured = settings.CREDENTIAL_ENCRYPTION_KEY
    if configured:
        return Fernet(configured.encode())
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"canopy job credentials"
    ).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_secret(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise CredentialError(
            _("The password for this job cannot be decrypted; set a new password and retry.")
        ) from None


@cache
def _digest_key() -> bytes:
    """A key for one-way digests of short secrets, derived from the same key material (its
    own HKDF ``info``, so it is never the encryption key itself)."""
    material = settings.CREDENTIAL_ENCRYPTION_KEY or settings.SECRET_KEY
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"canopy secret digests"
    ).derive(material.encode())


def secret_digest(value: str, length: int = 16) -> str:
    """A keyed one-way digest of a short secret (a recovery code), ``length`` base32 letters.

    What is stored instead of the secret: whoever reads the database cannot use it, nor try
    candidate codes against it without the key. Comparing digests is comparing secrets.
    """
    mac = hmac.new(_digest_key(), value.encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode()[:length]
