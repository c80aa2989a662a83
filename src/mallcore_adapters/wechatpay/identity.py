"""Keys and self-signed certificates for the fake and for tests: never for production,
where the merchant certificate comes from the WeChat Pay merchant platform."""

from __future__ import annotations

import secrets
import string
from datetime import datetime, timedelta

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from cryptography.x509.oid import NameOID

from mallcore_adapters.wechatpay.config import WeChatPayConfig


def new_rsa_key() -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def self_signed(key: RSAPrivateKey, common_name: str, *, not_before: datetime,
                not_after: datetime, serial: int | None = None) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(serial if serial is not None else x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .sign(key, hashes.SHA256()))


def private_pem(key: RSAPrivateKey) -> str:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


def public_pem(key: RSAPrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def certificate_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(Encoding.PEM).decode()


def serial_of(cert: x509.Certificate) -> str:
    """The serial as WeChat writes it: upper-case hexadecimal."""
    return format(cert.serial_number, "X")


def new_apiv3_key() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


@attrs.frozen(repr=False)
class MerchantIdentity:
    """A merchant as WeChat Pay registers it: ids, APIv3 key, API key and certificate."""

    mch_id: str
    app_id: str
    apiv3_key: str
    private_key: RSAPrivateKey
    certificate: x509.Certificate

    @classmethod
    def generate(cls, now: datetime, *, mch_id: str = "1900000109",
                 app_id: str = "wxd678efh567hg6787", valid: timedelta = timedelta(days=365),
                 apiv3_key: str | None = None) -> MerchantIdentity:
        key = new_rsa_key()
        cert = self_signed(key, f"{mch_id} merchant API certificate",
                           not_before=now - timedelta(days=1), not_after=now + valid)
        return cls(mch_id, app_id, apiv3_key or new_apiv3_key(), key, cert)

    @property
    def serial_no(self) -> str:
        return serial_of(self.certificate)

    @property
    def expires_at(self) -> datetime:
        return self.certificate.not_valid_after_utc

    def config(self, **changes: object) -> WeChatPayConfig:
        """The client configuration for this merchant; ``changes`` override fields
        (``public_key_id=…, public_key=…`` for public-key mode)."""
        fields: dict[str, object] = {
            "mch_id": self.mch_id, "app_id": self.app_id, "apiv3_key": self.apiv3_key,
            "private_key": self.private_key, "cert_serial_no": self.serial_no,
            "cert_expires_at": self.expires_at,
        }
        fields.update(changes)
        return WeChatPayConfig(**fields)  # type: ignore[arg-type]
