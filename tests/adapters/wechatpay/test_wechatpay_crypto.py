"""Signatures, AEAD and the PAY-1 configuration, without the network."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wechatpay_helpers import START, Clock

from mallcore.errors import (
    CertificateExpired,
    DecryptionFailed,
    InvalidConfiguration,
    SignatureInvalid,
    SignatureProbe,
    StaleTimestamp,
    UnknownSerial,
)
from mallcore_adapters.wechatpay import aead, signing
from mallcore_adapters.wechatpay.fake import FakeWeChatPay
from mallcore_adapters.wechatpay.identity import MerchantIdentity, private_pem
from mallcore_adapters.wechatpay.verifier import PlatformVerifier

KEY = "0123456789abcdefghijABCDEFGHIJ+/"  # 32 bytes


@pytest.fixture(scope="module")
def offline_fake(merchant: MerchantIdentity) -> FakeWeChatPay:
    """Used for its keys and notice builder only: never started."""
    return FakeWeChatPay(merchant, clock=Clock().epoch)


# ---------------------------------------------------------------------- signatures
@settings(max_examples=25, deadline=None)
@given(body=st.binary(max_size=300), nonce=st.text("ABCDEF0123456789", min_size=1,
                                                   max_size=32))
def test_request_signature_roundtrips_and_binds_every_part(
    merchant: MerchantIdentity, body: bytes, nonce: str,
) -> None:
    header = signing.authorization(mch_id=merchant.mch_id, serial_no=merchant.serial_no,
                                   private_key=merchant.private_key, method="POST",
                                   path="/v3/pay/transactions/jsapi", body=body,
                                   timestamp=1_700_000_000, nonce=nonce)
    fields = signing.parse_authorization(header)
    assert fields["mchid"] == merchant.mch_id and fields["serial_no"] == merchant.serial_no
    public = merchant.private_key.public_key()
    message = signing.request_message("POST", "/v3/pay/transactions/jsapi", 1_700_000_000,
                                      nonce, body)
    assert signing.verify(public, message, fields["signature"])
    other = signing.request_message("POST", "/v3/pay/transactions/jsapi", 1_700_000_001,
                                    nonce, body)
    assert not signing.verify(public, other, fields["signature"])


@settings(max_examples=25, deadline=None)
@given(body=st.binary(min_size=1, max_size=200), data=st.data())
def test_any_changed_byte_of_a_signed_body_is_refused(
    offline_fake: FakeWeChatPay, merchant: MerchantIdentity, body: bytes, data: st.DataObject,
) -> None:
    # RULES: PAY-1
    clock = Clock()
    verifier = PlatformVerifier(offline_fake.client_config(), clock=clock)
    headers = offline_fake.sign(body)
    assert verifier.verify(headers, body, what="notice") == offline_fake.public_key_id
    index = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    tampered = body[:index] + bytes([body[index] ^ flip]) + body[index + 1:]
    with pytest.raises(SignatureInvalid):
        verifier.verify(headers, tampered, what="notice")


def test_probe_stale_and_unknown_serial_are_refused_by_kind(offline_fake: FakeWeChatPay) -> None:
    # RULES: PAY-1
    clock = Clock()
    verifier = PlatformVerifier(offline_fake.client_config(), clock=clock)
    body = b'{"id":"EV-1"}'
    probe = offline_fake.sign(body)
    probe["Wechatpay-Signature"] = signing.PROBE_PREFIX + probe["Wechatpay-Signature"]
    with pytest.raises(SignatureProbe):
        verifier.verify(probe, body, what="notice")
    old = offline_fake.sign(body, timestamp=int(clock.epoch()) - 300)
    with pytest.raises(StaleTimestamp, match="300 s"):
        verifier.verify(old, body, what="notice")
    future = offline_fake.sign(body, timestamp=int(clock.epoch()) + 300)
    with pytest.raises(StaleTimestamp):
        verifier.verify(future, body, what="notice")
    nearly = offline_fake.sign(body, timestamp=int(clock.epoch()) - 299)
    assert verifier.verify(nearly, body, what="notice")
    stranger = offline_fake.sign(body, serial="PUB_KEY_ID_0000000000000000000000000000")
    with pytest.raises(UnknownSerial):
        verifier.verify(stranger, body, what="notice")


def test_wechat_header_names_are_case_insensitive(offline_fake: FakeWeChatPay) -> None:
    verifier = PlatformVerifier(offline_fake.client_config(), clock=Clock())
    body = b"{}"
    lower = {k.lower(): v for k, v in offline_fake.sign(body).items()}
    assert verifier.verify(lower, body, what="notice") == offline_fake.public_key_id


# ---------------------------------------------------------------------- AEAD
@settings(max_examples=40, deadline=None)
@given(plain=st.binary(max_size=400), nonce=st.text("abcdef0123456789", min_size=12,
                                                    max_size=12),
       associated=st.sampled_from(["transaction", "refund", "certificate", ""]))
def test_aead_roundtrip(plain: bytes, nonce: str, associated: str) -> None:
    sealed = aead.encrypt(KEY, nonce, associated, plain)
    assert aead.decrypt(KEY, nonce, associated, sealed) == plain


@settings(max_examples=40, deadline=None)
@given(plain=st.binary(min_size=1, max_size=100), data=st.data())
def test_aead_refuses_any_changed_byte_and_the_wrong_context(plain: bytes,
                                                             data: st.DataObject) -> None:
    raw = base64.b64decode(aead.encrypt(KEY, "0123456789ab", "transaction", plain))
    index = data.draw(st.integers(0, len(raw) - 1))
    tampered = raw[:index] + bytes([raw[index] ^ 0x01]) + raw[index + 1:]
    with pytest.raises(DecryptionFailed):
        aead.decrypt(KEY, "0123456789ab", "transaction", base64.b64encode(tampered).decode())
    with pytest.raises(DecryptionFailed):
        aead.decrypt(KEY, "0123456789ab", "refund", base64.b64encode(raw).decode())
    with pytest.raises(DecryptionFailed):
        aead.decrypt(KEY[::-1], "0123456789ab", "transaction", base64.b64encode(raw).decode())


def test_notice_resource_matches_the_documented_shape(offline_fake: FakeWeChatPay,
                                                      merchant: MerchantIdentity) -> None:
    offline_fake.ledger.prepay("JSAPI", {
        "appid": merchant.app_id, "mchid": merchant.mch_id, "description": "tea",
        "out_trade_no": "O900001", "notify_url": "http://x/n", "amount": {"total": 100},
        "payer": {"openid": "o1"}})
    offline_fake.pay("O900001")
    _, body = offline_fake.payment_notice("O900001")
    envelope = json.loads(body)
    assert envelope["event_type"] == "TRANSACTION.SUCCESS"
    assert envelope["resource_type"] == "encrypt-resource"
    resource = envelope["resource"]
    assert resource["algorithm"] == "AEAD_AES_256_GCM"
    assert resource["original_type"] == resource["associated_data"] == "transaction"
    plain = json.loads(aead.decrypt(merchant.apiv3_key, resource["nonce"],
                                    resource["associated_data"], resource["ciphertext"]))
    assert plain["out_trade_no"] == "O900001" and plain["amount"]["total"] == 100


# ---------------------------------------------------------------------- PAY-1 config
def test_config_refuses_an_apiv3_key_that_is_not_32_bytes(merchant: MerchantIdentity) -> None:
    # RULES: PAY-1
    with pytest.raises(InvalidConfiguration, match=r"APIv3 key.*32 bytes"):
        merchant.config(apiv3_key="x" * 31)
    with pytest.raises(InvalidConfiguration, match="32 bytes"):
        merchant.config(apiv3_key="密" * 11)  # 11 characters, 33 bytes
    assert merchant.config(apiv3_key="k" * 32).apiv3_key == "k" * 32


def test_config_refuses_malformed_ids_and_half_a_public_key(merchant: MerchantIdentity) -> None:
    # RULES: PAY-1
    with pytest.raises(InvalidConfiguration, match="merchant id"):
        merchant.config(mch_id="19000A0109")
    with pytest.raises(InvalidConfiguration, match="app id"):
        merchant.config(app_id="ww0000000000000000")
    with pytest.raises(InvalidConfiguration, match="both the key"):
        merchant.config(public_key_id="PUB_KEY_ID_0114")
    with pytest.raises(InvalidConfiguration, match="private key"):
        merchant.config(private_key="not a key")


def test_config_reads_serial_and_expiry_from_the_merchant_certificate(
    merchant: MerchantIdentity,
) -> None:
    from mallcore_adapters.wechatpay import WeChatPayConfig
    from mallcore_adapters.wechatpay.identity import certificate_pem

    config = WeChatPayConfig.from_certificate(
        mch_id=merchant.mch_id, app_id=merchant.app_id, apiv3_key=merchant.apiv3_key,
        private_key=private_pem(merchant.private_key),
        certificate_pem=certificate_pem(merchant.certificate))
    assert config.cert_serial_no == merchant.serial_no
    assert config.cert_expires_at == merchant.expires_at
    assert "PRIVATE" not in repr(config)


def test_an_expired_certificate_is_refused_naming_its_expiry_date() -> None:
    # RULES: PAY-1
    merchant = MerchantIdentity.generate(START - timedelta(days=400))
    config = merchant.config()
    with pytest.raises(CertificateExpired) as caught:
        config.check(START)
    assert merchant.expires_at.date().isoformat() in str(caught.value)
    assert caught.value.rule == "PAY-1" and caught.value.retryable


def test_expiry_warning_within_30_days_only(merchant: MerchantIdentity) -> None:
    config = merchant.config()
    expiry = merchant.expires_at
    assert config.expiry_warning(expiry - timedelta(days=31)) is None
    warning = config.expiry_warning(expiry - timedelta(days=10))
    assert warning is not None and expiry.date().isoformat() in warning and "10 days" in warning
    assert "expired" in (config.expiry_warning(expiry + timedelta(days=1)) or "")
