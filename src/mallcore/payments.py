"""The payment-gateway port: what the core asks of WeChat Pay (PAY-1, PAY-2, AS-6).

Pure values and one Protocol; ``mallcore_adapters.wechatpay`` implements it over
HTTP.  Amounts are integer fen, as everywhere inside the core; ``Money`` is offered
as a read-only view.  Notices are what a verified, decrypted gateway callback says;
``mallcore.services.payment_notices`` turns them into order commands.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import Protocol

import attrs
from moneyed import Money

from mallcore.errors import InvalidInput
from mallcore.guards import aware, identifier, text, whole
from mallcore.money import from_fen

#: WeChat Pay's rule for out_trade_no / out_refund_no: 6–32 of letters, digits, _-|*
_OUT_NO = re.compile(r"[A-Za-z0-9_\-|*]{6,32}")


def _number(value: object, what: str) -> str:
    number = identifier(value, what, "PAY-1")
    if not _OUT_NO.fullmatch(number):
        raise InvalidInput(what, f"{number!r} is not 6–32 letters, digits or _-|*",
                           rule="PAY-1")
    return number


def _positive_fen(value: object, what: str) -> int:
    return whole(value, what, "PAY-1", minimum=1)


def _trade_no(value: object) -> str:
    return _number(value, "out_trade_no")


def _refund_no(value: object) -> str:
    return _number(value, "out_refund_no")


def _total(value: object) -> int:
    return _positive_fen(value, "total")


def _refund_fen(value: object) -> int:
    return _positive_fen(value, "refund")


def _description(value: object) -> str:
    return text(value, "description", "PAY-1")


def _notify_url(value: object) -> str:
    return text(value, "notify_url", "PAY-1")


def _expiry(value: object) -> datetime | None:
    return None if value is None else aware(value, "time_expire", "PAY-1")


class TradeState(enum.StrEnum):
    """trade_state of a WeChat Pay transaction."""

    SUCCESS = "SUCCESS"
    NOTPAY = "NOTPAY"
    CLOSED = "CLOSED"
    REFUND = "REFUND"  # paid, then (partly) refunded
    USERPAYING = "USERPAYING"
    PAYERROR = "PAYERROR"
    REVOKED = "REVOKED"

    @property
    def paid(self) -> bool:
        return self in (TradeState.SUCCESS, TradeState.REFUND)


class RefundState(enum.StrEnum):
    """status of a WeChat Pay refund."""

    SUCCESS = "SUCCESS"
    PROCESSING = "PROCESSING"
    ABNORMAL = "ABNORMAL"  # the buyer's account cannot receive it: needs the merchant
    CLOSED = "CLOSED"


# ---------------------------------------------------------------------- requests
@attrs.frozen
class PrepayRequest:
    """Ask the gateway to open a trade for an order; ``payer_openid`` for JSAPI only."""

    order_number: str = attrs.field(converter=_trade_no)
    description: str = attrs.field(converter=_description)
    total_fen: int = attrs.field(converter=_total)
    notify_url: str = attrs.field(converter=_notify_url)
    payer_openid: str | None = None
    expires_at: datetime | None = attrs.field(default=None, converter=_expiry)
    attach: str | None = None
    currency: str = "CNY"

    @property
    def total(self) -> Money:
        return from_fen(self.total_fen, self.currency)


@attrs.frozen
class RefundRequest:
    """One WeChat leg of a refund: ``refund_fen`` of the trade's ``total_fen`` (PAY-2)."""

    order_number: str = attrs.field(converter=_trade_no)
    refund_number: str = attrs.field(converter=_refund_no)
    refund_fen: int = attrs.field(converter=_refund_fen)
    total_fen: int = attrs.field(converter=_total)
    reason: str | None = None
    notify_url: str | None = None
    transaction_id: str | None = None
    currency: str = "CNY"

    def __attrs_post_init__(self) -> None:
        if self.refund_fen > self.total_fen:
            raise InvalidInput("refund", f"{self.refund_fen} fen is more than the "
                               f"{self.total_fen} fen paid", rule="PAY-2")

    @property
    def amount(self) -> Money:
        return from_fen(self.refund_fen, self.currency)


# ---------------------------------------------------------------------- answers
@attrs.frozen
class RequestPayment:
    """The parameters of ``wx.requestPayment`` in the mini-program, paySign included."""

    app_id: str
    time_stamp: str
    nonce_str: str
    package: str  # "prepay_id=…"
    pay_sign: str
    sign_type: str = "RSA"

    def as_dict(self) -> dict[str, str]:
        """Keyed as the mini-program API names them."""
        return {"appId": self.app_id, "timeStamp": self.time_stamp, "nonceStr": self.nonce_str,
                "package": self.package, "signType": self.sign_type, "paySign": self.pay_sign}


@attrs.frozen
class JsapiPrepay:
    prepay_id: str
    request_payment: RequestPayment


@attrs.frozen
class NativePrepay:
    code_url: str  # shown as a QR code


@attrs.frozen
class TradeQuery:
    order_number: str
    state: TradeState
    state_desc: str = ""
    transaction_id: str | None = None
    total_fen: int | None = None
    payer_total_fen: int | None = None
    success_time: datetime | None = None


@attrs.frozen
class RefundAnswer:
    refund_number: str
    refund_id: str
    status: RefundState
    refund_fen: int
    total_fen: int
    order_number: str | None = None
    success_time: datetime | None = None
    user_received_account: str | None = None


# ---------------------------------------------------------------------- notices
@attrs.frozen
class PaymentNotice:
    """A verified, decrypted TRANSACTION.* notice: the buyer paid (or tried to)."""

    notice_id: str
    order_number: str
    transaction_id: str
    state: TradeState
    total_fen: int
    payer_total_fen: int
    currency: str
    app_id: str
    mch_id: str
    success_time: datetime | None = None


@attrs.frozen
class RefundNotice:
    """A verified, decrypted REFUND.* notice: the final word on one refund."""

    notice_id: str
    order_number: str
    refund_number: str
    refund_id: str
    status: RefundState
    refund_fen: int
    total_fen: int
    mch_id: str
    success_time: datetime | None = None
    user_received_account: str | None = None


# ---------------------------------------------------------------------- the port
class PaymentGateway(Protocol):
    """What the core needs from an online payment gateway.  Failures raise
    ``mallcore.errors.PaymentGatewayError`` subclasses with ``retryable`` set."""

    def prepay_jsapi(self, request: PrepayRequest) -> JsapiPrepay: ...

    def prepay_native(self, request: PrepayRequest) -> NativePrepay: ...

    def query(self, order_number: str) -> TradeQuery: ...

    def close(self, order_number: str) -> None: ...

    def refund(self, request: RefundRequest) -> RefundAnswer: ...

    def query_refund(self, refund_number: str) -> RefundAnswer: ...


__all__ = [
    "JsapiPrepay", "NativePrepay", "PaymentGateway", "PaymentNotice", "PrepayRequest",
    "RefundAnswer", "RefundNotice", "RefundRequest", "RefundState", "RequestPayment",
    "TradeQuery", "TradeState",
]
