"""AEAD_AES_256_GCM with the APIv3 key: how WeChat Pay encrypts notices and certificates.

The key is the 32-byte APIv3 key as text; nonce and associated data are text too;
the ciphertext is base64 of the encrypted bytes followed by the 16-byte tag.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mallcore.errors import DecryptionFailed

ALGORITHM = "AEAD_AES_256_GCM"


def encrypt(apiv3_key: str, nonce: str, associated_data: str, plaintext: bytes) -> str:
    sealed = AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), plaintext,
                                                associated_data.encode())
    return base64.b64encode(sealed).decode()


def decrypt(apiv3_key: str, nonce: str, associated_data: str, ciphertext: str) -> bytes:
    """The plaintext, or ``DecryptionFailed``: wrong key, or a byte changed anywhere."""
    try:
        sealed = base64.b64decode(ciphertext, validate=True)
        return AESGCM(apiv3_key.encode()).decrypt(nonce.encode(), sealed,
                                                  associated_data.encode())
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise DecryptionFailed(f"{associated_data or 'resource'} ciphertext",
                               "does not decrypt with the APIv3 key (wrong key or tampered)"
                               ) from exc
