"""WeChat Pay error codes → typed errors with a rule id and whether to retry (PAY-1, AS-6).

An error answer is ``{"code": "NOT_ENOUGH", "message": "…"}`` with a 4xx/5xx status.
Unknown codes fall back on the status: 5xx and 429 are retryable, the rest are not.
"""

from __future__ import annotations

from mallcore.errors import (
    GatewayUnavailable,
    MerchantMismatch,
    PaymentGatewayError,
    PaymentRejected,
    RefundRejected,
    RequestRejected,
    SignatureInvalid,
    TradeNotFound,
)

_Kind = type[PaymentGatewayError]

#: code → (error type, retryable, rule, what it means to a merchant)
CODES: dict[str, tuple[_Kind, bool, str, str]] = {
    "SIGN_ERROR": (SignatureInvalid, False, "PAY-1",
                   "signature error: check the merchant private key and certificate serial"),
    "APPID_MCHID_NOT_MATCH": (MerchantMismatch, False, "PAY-1",
                              "the app id is not bound to this merchant id"),
    "MCH_NOT_EXISTS": (MerchantMismatch, False, "PAY-1", "no such merchant id"),
    "NO_AUTH": (RequestRejected, False, "PAY-1", "the merchant lacks permission for this API"),
    "PARAM_ERROR": (RequestRejected, False, "PAY-1", "a parameter is invalid"),
    "INVALID_REQUEST": (RequestRejected, False, "PAY-1",
                        "the request does not fit the trade's state or rules"),
    "OUT_TRADE_NO_USED": (PaymentRejected, False, "ORD-2",
                          "the order number was used for another trade"),
    "ORDER_CLOSED": (PaymentRejected, False, "ORD-6", "the trade is closed"),
    "ORDERPAID": (PaymentRejected, False, "ORD-2", "the trade is already paid"),
    "USERPAYING": (PaymentRejected, True, "ORD-2", "the buyer is still paying"),
    "ORDERNOTEXIST": (TradeNotFound, False, "ORD-2", "no such trade"),
    "RESOURCE_NOT_EXISTS": (TradeNotFound, False, "PAY-2", "no such trade or refund"),
    "NOT_ENOUGH": (RefundRejected, True, "AS-6",
                   "the merchant balance is short: top it up, then retry the refund"),
    "USER_ACCOUNT_ABNORMAL": (RefundRejected, False, "AS-6",
                              "the buyer's account is abnormal: refund offline"),
    "FREQUENCY_LIMITED": (GatewayUnavailable, True, "PAY-1", "too many requests: slow down"),
    "SYSTEM_ERROR": (GatewayUnavailable, True, "PAY-1", "WeChat Pay system error: retry"),
    "BANKERROR": (GatewayUnavailable, True, "PAY-1", "bank error: retry"),
}


def error_for(operation: str, status: int, code: str | None,
              message: str | None) -> PaymentGatewayError:
    """The typed error for one failed call; ``operation`` names what was refused."""
    known = CODES.get(code or "")
    if known is not None:
        kind, retryable, rule, meaning = known
        if operation.startswith("refund") and rule == "PAY-1" and kind is RequestRejected:
            rule = "PAY-2"
        reason = f"{meaning} ({message})" if message else meaning
        return kind(operation, reason, rule=rule, wechat_code=code, retryable=retryable,
                    http_status=status)
    retryable = status >= 500 or status == 429
    kind = GatewayUnavailable if retryable else RequestRejected
    return kind(operation, f"HTTP {status}: {message or 'no message'}", rule="PAY-1",
                wechat_code=code, retryable=retryable, http_status=status)
