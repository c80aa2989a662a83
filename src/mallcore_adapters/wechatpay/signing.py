"""WECHATPAY2-SHA256-RSA2048: the signatures on every request, answer and notice.

A request is signed over ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n`` with the
merchant key; WeChat's answers and notices over ``TIMESTAMP\\nNONCE\\nBODY\\n`` with the
platform key; ``wx.requestPayment`` over ``appId\\ntimeStamp\\nnonceStr\\npackage\\n``.
All RSASSA-PKCS1-v1_5 with SHA-256, base64 encoded.  Bodies are bytes, signed as sent.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.hashes import SHA256

SCHEME = "WECHATPAY2-SHA256-RSA2048"
PROBE_PREFIX = "WECHATPAY/SIGNTEST/"
#: A notice or answer whose timestamp is this many seconds away from now is refused.
MAX_SKEW_SECONDS = 300

Nonce = Callable[[], str]


def new_nonce() -> str:
    """32 upper-case hex characters from ``secrets``: the default nonce source."""
    return secrets.token_hex(16).upper()


def _lines(*parts: str | bytes) -> bytes:
    return b"".join((p.encode() if isinstance(p, str) else p) + b"\n" for p in parts)


def request_message(method: str, path: str, timestamp: int, nonce: str, body: bytes) -> bytes:
    return _lines(method.upper(), path, str(timestamp), nonce, body)


def response_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return _lines(timestamp, nonce, body)


def pay_sign_message(app_id: str, timestamp: str, nonce: str, package: str) -> bytes:
    return _lines(app_id, timestamp, nonce, package)


def sign(private_key: RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(private_key.sign(message, PKCS1v15(), SHA256())).decode()


def verify(public_key: RSAPublicKey, message: bytes, signature: str) -> bool:
    """True only for a well-formed signature of exactly ``message``."""
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, message, PKCS1v15(), SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def authorization(*, mch_id: str, serial_no: str, private_key: RSAPrivateKey, method: str,
                  path: str, body: bytes, timestamp: int, nonce: str) -> str:
    """The ``Authorization`` header of one request."""
    signature = sign(private_key, request_message(method, path, timestamp, nonce, body))
    return (f'{SCHEME} mchid="{mch_id}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{serial_no}"')


_FIELD = re.compile(r'(\w+)="([^"]*)"')


def parse_authorization(header: str) -> dict[str, str]:
    """The fields of an ``Authorization`` header; ValueError if it is not ours."""
    scheme, _, rest = header.partition(" ")
    if scheme != SCHEME:
        raise ValueError(f"unknown authorization scheme {scheme!r}")
    fields = dict(_FIELD.findall(rest))
    missing = {"mchid", "nonce_str", "signature", "timestamp", "serial_no"} - fields.keys()
    if missing:
        raise ValueError(f"authorization lacks {', '.join(sorted(missing))}")
    return fields
