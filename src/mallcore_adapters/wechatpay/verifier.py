"""Is this answer or notice really from WeChat Pay?  Signature, timestamp, serial.

Two ways to know WeChat's key (PAY-1): the WeChat Pay public key, named by a
``Wechatpay-Serial`` of ``PUB_KEY_ID_…``; or platform certificates, fetched from
``GET /v3/certificates`` (each AEAD-encrypted with the APIv3 key, its serial checked
against the certificate itself) and named by their hexadecimal serial.  An unknown
serial refreshes the certificates once (WeChat rotates them) before it is refused.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from mallcore.errors import (
    PaymentGatewayError,
    SignatureInvalid,
    SignatureProbe,
    StaleTimestamp,
    UnknownSerial,
)
from mallcore_adapters.wechatpay import aead, signing
from mallcore_adapters.wechatpay.config import PUBLIC_KEY_ID_PREFIX, WeChatPayConfig

Clock = Callable[[], datetime]
#: Fetch ``/v3/certificates`` (signed by us, not yet verified): (headers, body).
FetchCertificates = Callable[[], tuple[Mapping[str, str], bytes]]


def lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


class PlatformVerifier:
    """Verifies ``Wechatpay-*`` headers against the body they came with."""

    def __init__(self, config: WeChatPayConfig, *, clock: Clock,
                 fetch_certificates: FetchCertificates | None = None) -> None:
        self._config = config
        self._clock = clock
        self._fetch = fetch_certificates
        self._certificates: dict[str, x509.Certificate] = {}
        self._lock = threading.Lock()

    @property
    def certificate_serials(self) -> tuple[str, ...]:
        return tuple(self._certificates)

    def verify(self, headers: Mapping[str, str], body: bytes, *, what: str) -> str:
        """Return the serial that signed ``body``, or raise a ``SignatureInvalid``."""
        return self._verify(headers, body, what, refresh=True)

    def _verify(self, headers: Mapping[str, str], body: bytes, what: str, *,
                refresh: bool) -> str:
        h = lower_keys(headers)
        signature = h.get("wechatpay-signature", "")
        if signature.startswith(signing.PROBE_PREFIX):
            raise SignatureProbe(what, "is a WECHATPAY/SIGNTEST probe: refused as it must be")
        timestamp, nonce, serial = (h.get("wechatpay-timestamp", ""),
                                    h.get("wechatpay-nonce", ""), h.get("wechatpay-serial", ""))
        if not (signature and timestamp and nonce and serial):
            raise SignatureInvalid(what, "lacks a Wechatpay-Signature/-Timestamp/-Nonce/-Serial")
        kind = h.get("wechatpay-signature-type", signing.SCHEME)
        if kind != signing.SCHEME:
            raise SignatureInvalid(what, f"signature type {kind!r} is not {signing.SCHEME}")
        if not timestamp.isdigit():
            raise SignatureInvalid(what, f"timestamp {timestamp!r} is not a number")
        skew = abs(self._clock().timestamp() - int(timestamp))
        if skew >= signing.MAX_SKEW_SECONDS:
            raise StaleTimestamp(what, f"signed {int(skew)} s away from now "
                                 f"(limit {signing.MAX_SKEW_SECONDS} s)")
        key = self._key_for(serial, what, refresh=refresh)
        if not signing.verify(key, signing.response_message(timestamp, nonce, body), signature):
            raise SignatureInvalid(what, f"signature does not verify with key {serial}")
        return serial

    def _key_for(self, serial: str, what: str, *, refresh: bool) -> RSAPublicKey:
        config = self._config
        if serial.startswith(PUBLIC_KEY_ID_PREFIX):
            if serial != config.public_key_id or config.public_key is None:
                raise UnknownSerial(what, f"signed with {serial}, configured "
                                    f"{config.public_key_id or 'no public key'}")
            return config.public_key
        serial = serial.upper()
        if serial not in self._certificates and self._fetch is not None and refresh:
            self.refresh()
        cert = self._certificates.get(serial)
        if cert is None:
            raise UnknownSerial(what, f"no platform certificate with serial {serial}")
        key = cert.public_key()
        if not isinstance(key, RSAPublicKey):  # pragma: no cover - WeChat uses RSA
            raise UnknownSerial(what, f"platform certificate {serial} is not RSA")
        return key

    def refresh(self) -> None:
        """Fetch, decrypt and check the platform certificates, then verify the answer."""
        if self._fetch is None:
            raise UnknownSerial("platform certificates", "no way to fetch them configured")
        headers, body = self._fetch()
        now = self._clock()
        found: dict[str, x509.Certificate] = {}
        try:
            entries = json.loads(body)["data"]
            for entry in entries:
                sealed = entry["encrypt_certificate"]
                if sealed["algorithm"] != aead.ALGORITHM:
                    continue
                pem = aead.decrypt(self._config.apiv3_key, sealed["nonce"],
                                   sealed["associated_data"], sealed["ciphertext"])
                cert = x509.load_pem_x509_certificate(pem)
                serial = format(cert.serial_number, "X")
                if serial != str(entry["serial_no"]).upper():
                    raise SignatureInvalid(f"platform certificate {entry['serial_no']}",
                                           f"its certificate's serial is {serial}")
                if cert.not_valid_before_utc <= now < cert.not_valid_after_utc:
                    found[serial] = cert
        except PaymentGatewayError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise SignatureInvalid("platform certificates answer", f"malformed: {exc}") from exc
        with self._lock:
            self._certificates.update(found)
        self._verify(headers, body, "platform certificates answer", refresh=False)
