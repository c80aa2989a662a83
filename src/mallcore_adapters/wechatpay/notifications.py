"""WeChat Pay's notifications (支付通知, 退款通知) → the answer WeChat expects.

Verify the signature (a ``WECHATPAY/SIGNTEST/`` probe or a bad signature gets a 4xx),
decrypt the AEAD resource, check it is for this merchant (PAY-1), then hand it to
``PaymentNotices``.  2xx tells WeChat to stop; anything else makes it retry later,
which is what we want when *our* side failed (storage down, a conflict) and never
when retrying cannot help.  Every answer carries what happened, for logs and alerts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import attrs

from mallcore.errors import (
    AmountMismatch,
    DecryptionFailed,
    MallcoreError,
    MerchantMismatch,
    SignatureInvalid,
    SignatureProbe,
)
from mallcore.payments import PaymentNotice, RefundNotice, RefundState, TradeState
from mallcore.services.payment_notices import NoticeOutcome, PaymentNotices
from mallcore_adapters.wechatpay import aead
from mallcore_adapters.wechatpay.config import WeChatPayConfig
from mallcore_adapters.wechatpay.verifier import Clock, PlatformVerifier

Json = dict[str, Any]


@attrs.frozen
class NotificationAnswer:
    """The HTTP answer for WeChat, and what the notice did here."""

    status: int
    body: bytes
    outcome: NoticeOutcome | None = None
    error: Exception | None = None
    event_type: str | None = None

    @property
    def acknowledged(self) -> bool:
        return 200 <= self.status < 300

    @property
    def needs_attention(self) -> bool:
        """Money arrived that we could not book (amount mismatch): a person must act."""
        return isinstance(self.error, AmountMismatch | MerchantMismatch)


def _fail(status: int, message: str, error: Exception | None = None,
          event_type: str | None = None) -> NotificationAnswer:
    body = json.dumps({"code": "FAIL", "message": message}, ensure_ascii=False).encode()
    return NotificationAnswer(status, body, error=error, event_type=event_type)


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def decrypt_resource(apiv3_key: str, envelope: Json) -> Json:
    """The plaintext JSON of an ``encrypt-resource`` notice."""
    resource = envelope.get("resource")
    if envelope.get("resource_type") != "encrypt-resource" or not isinstance(resource, dict):
        raise DecryptionFailed("notice", "has no encrypt-resource")
    if resource.get("algorithm") != aead.ALGORITHM:
        raise DecryptionFailed("notice", f"algorithm {resource.get('algorithm')!r} unsupported")
    plain = aead.decrypt(apiv3_key, str(resource.get("nonce", "")),
                         str(resource.get("associated_data") or ""),
                         str(resource.get("ciphertext", "")))
    data: Json = json.loads(plain)
    return data


def payment_notice(notice_id: str, data: Json) -> PaymentNotice:
    amount = data["amount"]
    return PaymentNotice(
        notice_id=notice_id, order_number=data["out_trade_no"],
        transaction_id=data["transaction_id"], state=TradeState(data["trade_state"]),
        total_fen=amount["total"], payer_total_fen=amount.get("payer_total", amount["total"]),
        currency=amount.get("currency", "CNY"), app_id=data["appid"], mch_id=data["mchid"],
        success_time=_time(data.get("success_time")))


def refund_notice(notice_id: str, data: Json) -> RefundNotice:
    amount = data["amount"]
    return RefundNotice(
        notice_id=notice_id, order_number=data["out_trade_no"],
        refund_number=data["out_refund_no"], refund_id=data["refund_id"],
        status=RefundState(data["refund_status"]), refund_fen=amount["refund"],
        total_fen=amount["total"], mch_id=data["mchid"],
        success_time=_time(data.get("success_time")),
        user_received_account=data.get("user_received_account"))


class NotificationHandler:
    """Answers WeChat Pay's POSTs to ``notify_url``; mount ``handle`` in any web framework.

    ``on_answer`` sees every answer (log it; alert when ``needs_attention``).
    """

    def __init__(self, config: WeChatPayConfig, verifier: PlatformVerifier,
                 notices: PaymentNotices, *, clock: Clock,
                 on_answer: Callable[[NotificationAnswer], None] | None = None) -> None:
        self._config = config
        self._verifier = verifier
        self._notices = notices
        self._clock = clock
        self._on_answer = on_answer

    def handle(self, headers: Mapping[str, str], body: bytes) -> NotificationAnswer:
        answer = self._answer(headers, body)
        if self._on_answer is not None:
            self._on_answer(answer)
        return answer

    def _answer(self, headers: Mapping[str, str], body: bytes) -> NotificationAnswer:
        try:
            self._verifier.verify(headers, body, what="notification")
        except SignatureProbe as error:
            return _fail(400, "signature probe refused", error)
        except SignatureInvalid as error:
            return _fail(401, "signature verification failed", error)
        event_type = None
        try:
            envelope = json.loads(body)
            event_type = str(envelope.get("event_type", ""))
            data = decrypt_resource(self._config.apiv3_key, envelope)
            return self._apply(str(envelope.get("id", "")), event_type, data)
        except (DecryptionFailed, MerchantMismatch) as error:
            return _fail(400, error.reason, error, event_type)
        except AmountMismatch as error:  # retrying cannot help: acknowledge, flag, never book
            return NotificationAnswer(200, b"", error=error, event_type=event_type)
        except (KeyError, TypeError, ValueError) as error:
            return _fail(400, f"malformed notice: {error}", error, event_type)
        except (MallcoreError, OSError) as error:  # our side: let WeChat retry later
            return _fail(500, "not processed, retry later", error, event_type)

    def _apply(self, notice_id: str, event_type: str, data: Json) -> NotificationAnswer:
        now = self._clock()
        mch_id = data.get("mchid")
        if mch_id != self._config.mch_id or data.get("appid", self._config.app_id) != (
                self._config.app_id):
            raise MerchantMismatch(
                f"notice {notice_id}", f"is for merchant {mch_id} / app {data.get('appid')}, "
                f"configured {self._config.mch_id} / {self._config.app_id}",
                wechat_code="APPID_MCHID_NOT_MATCH")
        if event_type.startswith("TRANSACTION."):
            outcome = self._notices.payment(payment_notice(notice_id, data), now=now)
        elif event_type.startswith("REFUND."):
            outcome = self._notices.refund(refund_notice(notice_id, data), now=now)
        else:
            return NotificationAnswer(204, b"", event_type=event_type)
        return NotificationAnswer(204, b"", outcome=outcome, event_type=event_type)


__all__ = ["NotificationAnswer", "NotificationHandler", "decrypt_resource", "payment_notice",
           "refund_notice"]
