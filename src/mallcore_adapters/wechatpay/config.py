"""PAY-1: the merchant's WeChat Pay settings, checked when saved and before each call.

Merchant id, app id (bound to it: WeChat answers APPID_MCHID_NOT_MATCH otherwise),
APIv3 key (exactly 32 bytes), the merchant API private key with its certificate's
serial number and expiry (the certificate expires yearly), and how WeChat's own
signatures are verified: the WeChat Pay public key (``PUB_KEY_ID_…``) or, when none
is configured, the platform certificates fetched from ``/v3/certificates``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import attrs
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import (
    load_pem_private_key,
    load_pem_public_key,
)

from mallcore.errors import CertificateExpired, InvalidConfiguration
from mallcore.guards import aware

_MCH_ID = re.compile(r"\d{8,12}")
_APP_ID = re.compile(r"wx[0-9A-Za-z]{16}")
_SERIAL = re.compile(r"[0-9A-Fa-f]{1,40}")
PUBLIC_KEY_ID_PREFIX = "PUB_KEY_ID_"
#: Within this of the expiry, ``expiry_warning`` starts naming the date.
EXPIRY_WARNING = timedelta(days=30)


def _refuse(what: str, why: str) -> InvalidConfiguration:
    return InvalidConfiguration(what, why, rule="PAY-1")


def _private_key(value: object) -> RSAPrivateKey:
    if isinstance(value, str | bytes):
        data = value.encode() if isinstance(value, str) else value
        try:
            value = load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise _refuse("merchant private key", "is not a PEM private key") from exc
    if not isinstance(value, RSAPrivateKey) or value.key_size < 2048:
        raise _refuse("merchant private key", "must be an RSA key of at least 2048 bits")
    return value


def _public_key(value: object) -> RSAPublicKey | None:
    if isinstance(value, str | bytes):
        data = value.encode() if isinstance(value, str) else value
        try:
            value = load_pem_public_key(data)
        except (ValueError, TypeError) as exc:
            raise _refuse("WeChat Pay public key", "is not a PEM public key") from exc
    if value is not None and not isinstance(value, RSAPublicKey):
        raise _refuse("WeChat Pay public key", "must be an RSA public key")
    return value


def _expiry(value: object) -> datetime:
    return aware(value, "certificate expiry", "PAY-1")


def _serial(value: object) -> str:
    if not isinstance(value, str) or not _SERIAL.fullmatch(value):
        raise _refuse("certificate serial number", f"{value!r} is not a hexadecimal serial")
    return value.upper()


@attrs.frozen(repr=False)
class WeChatPayConfig:
    mch_id: str
    app_id: str
    apiv3_key: str
    private_key: RSAPrivateKey = attrs.field(converter=_private_key)
    cert_serial_no: str = attrs.field(converter=_serial)
    cert_expires_at: datetime = attrs.field(converter=_expiry)
    public_key_id: str | None = None
    public_key: RSAPublicKey | None = attrs.field(default=None, converter=_public_key)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.mch_id, str) or not _MCH_ID.fullmatch(self.mch_id):
            raise _refuse("merchant id", f"{self.mch_id!r} is not 8–12 digits")
        if not isinstance(self.app_id, str) or not _APP_ID.fullmatch(self.app_id):
            raise _refuse("app id", f"{self.app_id!r} is not 'wx' and 16 letters or digits")
        if not isinstance(self.apiv3_key, str) or len(self.apiv3_key.encode()) != 32:
            raise _refuse("APIv3 key", "must be exactly 32 bytes")
        if (self.public_key is None) != (self.public_key_id is None):
            raise _refuse("WeChat Pay public key", "needs both the key and its PUB_KEY_ID_…")
        if self.public_key_id is not None and not self.public_key_id.startswith(
                PUBLIC_KEY_ID_PREFIX):
            raise _refuse("WeChat Pay public key id",
                          f"{self.public_key_id!r} does not start with {PUBLIC_KEY_ID_PREFIX}")

    def __repr__(self) -> str:  # never print the key material
        return (f"WeChatPayConfig(mch_id={self.mch_id!r}, app_id={self.app_id!r}, "
                f"cert_serial_no={self.cert_serial_no!r}, "
                f"cert_expires_at={self.cert_expires_at.isoformat()!r}, mode={self.mode!r})")

    @property
    def mode(self) -> str:
        """``public_key`` or ``platform_certificates``: how WeChat's signatures are checked."""
        return "public_key" if self.public_key is not None else "platform_certificates"

    @classmethod
    def from_certificate(cls, *, mch_id: str, app_id: str, apiv3_key: str,
                         private_key: str | bytes | RSAPrivateKey,
                         certificate_pem: str | bytes, public_key_id: str | None = None,
                         public_key: str | bytes | RSAPublicKey | None = None,
                         ) -> WeChatPayConfig:
        """Serial and expiry read from the merchant's ``apiclient_cert.pem``."""
        data = certificate_pem.encode() if isinstance(certificate_pem, str) else certificate_pem
        try:
            cert = x509.load_pem_x509_certificate(data)
        except ValueError as exc:
            raise _refuse("merchant certificate", "is not a PEM certificate") from exc
        return cls(mch_id, app_id, apiv3_key, private_key,
                   format(cert.serial_number, "X"), cert.not_valid_after_utc,
                   public_key_id, public_key)

    def check(self, now: datetime) -> None:
        """Refuse to sign with an expired certificate, naming the date (PAY-1, AS-6)."""
        if aware(now) >= self.cert_expires_at:
            raise CertificateExpired(
                f"merchant API certificate {self.cert_serial_no}",
                f"expired on {self.cert_expires_at.date().isoformat()}; download a new one "
                "in the merchant platform (API安全 → API证书) and update the configuration",
                rule="PAY-1", retryable=True)

    def expiry_warning(self, now: datetime, within: timedelta = EXPIRY_WARNING) -> str | None:
        """A message when the certificate expires within ``within`` (30 days), else None."""
        left = self.cert_expires_at - aware(now)
        if left > within:
            return None
        if left <= timedelta(0):
            return (f"merchant API certificate {self.cert_serial_no} expired on "
                    f"{self.cert_expires_at.date().isoformat()}")
        return (f"merchant API certificate {self.cert_serial_no} expires on "
                f"{self.cert_expires_at.date().isoformat()} ({left.days} days left)")
