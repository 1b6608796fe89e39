"""Passwords in transit to a job: encrypted at rest in the job row, erased after use.

The key is ``CREDENTIAL_ENCRYPTION_KEY`` (a Fernet key) or, when that is empty, one derived
from ``SECRET_KEY`` with HKDF, so the laptop run needs no extra configuration.
"""

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


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
            "The password for this job cannot be decrypted; set a new password and retry."
        ) from None
