"""Request signatures: TencentCloud TC3-HMAC-SHA256 and Aliyun RPC HMAC-SHA1 (v1.0).

Pure functions over bytes and strings, pinned by tests to the providers'
published examples.  The loopback fakes check signatures with their own code,
not with these, so a mistake here cannot be mirrored there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import quote

__all__ = [
    "aliyun_percent_encode",
    "aliyun_signature",
    "aliyun_string_to_sign",
    "tc3_authorization",
    "tc3_canonical_request",
    "tc3_date",
    "tc3_signature",
    "tc3_signing_key",
    "tc3_string_to_sign",
]

TC3 = "TC3-HMAC-SHA256"


def tc3_date(timestamp: int) -> str:
    """The credential-scope date: the UTC date of the timestamp."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def tc3_canonical_request(
    method: str, headers: Sequence[tuple[str, str]], payload: bytes, *,
    uri: str = "/", query: str = "",
) -> tuple[str, str]:
    """(canonical request, signed headers): headers lower-cased, trimmed, sorted by name."""
    pairs = sorted((k.strip().lower(), v.strip().lower()) for k, v in headers)
    canonical_headers = "".join(f"{k}:{v}\n" for k, v in pairs)
    signed = ";".join(k for k, _ in pairs)
    hashed = hashlib.sha256(payload).hexdigest()
    return f"{method}\n{uri}\n{query}\n{canonical_headers}\n{signed}\n{hashed}", signed


def tc3_string_to_sign(canonical_request: str, timestamp: int, service: str) -> str:
    scope = f"{tc3_date(timestamp)}/{service}/tc3_request"
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{TC3}\n{timestamp}\n{scope}\n{digest}"


def _hmac256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def tc3_signing_key(secret_key: str, date: str, service: str) -> bytes:
    """"TC3" + secret → date → service → "tc3_request"."""
    k_date = _hmac256(("TC3" + secret_key).encode("utf-8"), date)
    k_service = _hmac256(k_date, service)
    return _hmac256(k_service, "tc3_request")


def tc3_signature(signing_key: bytes, string_to_sign: str) -> str:
    return hmac.new(signing_key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def tc3_authorization(
    *, secret_id: str, secret_key: str, service: str, timestamp: int, method: str,
    headers: Sequence[tuple[str, str]], payload: bytes,
) -> str:
    """The ``Authorization`` header value for a request with these signed headers."""
    canonical, signed = tc3_canonical_request(method, headers, payload)
    to_sign = tc3_string_to_sign(canonical, timestamp, service)
    key = tc3_signing_key(secret_key, tc3_date(timestamp), service)
    scope = f"{tc3_date(timestamp)}/{service}/tc3_request"
    return (f"{TC3} Credential={secret_id}/{scope}, SignedHeaders={signed}, "
            f"Signature={tc3_signature(key, to_sign)}")


def aliyun_percent_encode(value: str) -> str:
    """RFC 3986 as Aliyun POP wants it: only A-Z a-z 0-9 - _ . ~ stay; space is %20."""
    return quote(value, safe="-_.~")


def aliyun_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """``METHOD&%2F&`` + the encoded, sorted query (``Signature`` itself left out)."""
    canonical = "&".join(
        f"{aliyun_percent_encode(k)}={aliyun_percent_encode(v)}"
        for k, v in sorted(params.items()) if k != "Signature"
    )
    return f"{method}&{aliyun_percent_encode('/')}&{aliyun_percent_encode(canonical)}"


def aliyun_signature(method: str, params: Mapping[str, str], secret: str) -> str:
    """Base64(HMAC-SHA1(secret + "&", string to sign))."""
    digest = hmac.new(f"{secret}&".encode(), aliyun_string_to_sign(method, params).encode(),
                      hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")
