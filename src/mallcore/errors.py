"""One exception hierarchy for every refusal the core makes.

Each error names what was refused, why, and the RULES.md id behind the refusal,
so a caller can show it to a merchant or catch it by kind.  Errors are raised
before any state changes: nothing is ever half-applied.
"""

from __future__ import annotations


class MallcoreError(Exception):
    """Base of every refusal.  ``refused`` is the thing, ``reason`` the why."""

    code = "error"

    def __init__(self, refused: str, reason: str, *, rule: str | None = None) -> None:
        self.refused = refused
        self.reason = reason
        self.rule = rule
        suffix = f" [{rule}]" if rule else ""
        super().__init__(f"{refused}: {reason}{suffix}")


class InvalidInput(MallcoreError):
    """A value that can never be right (negative price, float amount, name too long)."""

    code = "invalid_input"


class CurrencyMismatch(InvalidInput):
    """Two amounts in different currencies met in one calculation."""

    code = "currency_mismatch"


class InvalidConfiguration(MallcoreError):
    """A promotion, level or policy whose settings contradict a rule."""

    code = "invalid_configuration"


class NotFound(MallcoreError):
    """A reference (SKU, product, level, customer, tag) that does not exist."""

    code = "not_found"


class NotAllowed(MallcoreError):
    """A well-formed request that the rules forbid for this actor or this state."""

    code = "not_allowed"


class LimitReached(NotAllowed):
    """A cap, balance or quota would be exceeded."""

    code = "limit_reached"


class InvalidTransition(NotAllowed):
    """An action not allowed in the current status; names both."""

    code = "invalid_transition"

    def __init__(self, action: str, status: str, *, rule: str | None = None) -> None:
        self.action = action
        self.status = status
        super().__init__(action, f"not allowed while {status}", rule=rule)


class Conflict(MallcoreError):
    """A concurrent change won first (optimistic version, unique key); retryable."""

    code = "conflict"


class StaleState(Conflict):
    """Another unit of work committed a change to the same aggregate first.

    Nothing was written; the use case can run again on fresh state, and the
    service layer does so (``services._uow.run``).
    """

    code = "stale_state"


# ============================================================================
# Payment gateway (WeChat Pay API v3) — PAY-1, PAY-2, AS-6.
# Appended by issue 7 part A; the rest of this file belongs to other sections.
# ============================================================================
class PaymentGatewayError(MallcoreError):
    """The payment gateway refused a request, or we refused what it sent us.

    ``wechat_code`` is the gateway's own code (``NOT_ENOUGH``, ``SIGN_ERROR`` …) when it
    gave one; ``retryable`` says whether asking again later can succeed (AS-6).
    """

    code = "payment_gateway"

    def __init__(
        self, refused: str, reason: str, *, rule: str | None = "PAY-1",
        wechat_code: str | None = None, retryable: bool = False, http_status: int | None = None,
    ) -> None:
        self.wechat_code = wechat_code
        self.retryable = retryable
        self.http_status = http_status
        prefix = f"{wechat_code}: " if wechat_code else ""
        super().__init__(refused, prefix + reason, rule=rule)


class SignatureInvalid(PaymentGatewayError):
    """A signature that does not verify: ours refused by WeChat (SIGN_ERROR), or theirs by us."""

    code = "signature_invalid"


class SignatureProbe(SignatureInvalid):
    """A ``WECHATPAY/SIGNTEST/`` probe: WeChat checks that we do refuse bad signatures."""

    code = "signature_probe"


class StaleTimestamp(SignatureInvalid):
    """A signed message 300 s or more away from now: a replay, or a clock gone wrong."""

    code = "stale_timestamp"


class UnknownSerial(SignatureInvalid):
    """Signed with a key or platform certificate serial we do not know."""

    code = "unknown_serial"


class DecryptionFailed(PaymentGatewayError):
    """An AEAD_AES_256_GCM resource that does not decrypt: wrong APIv3 key or tampered data."""

    code = "decryption_failed"


class MerchantMismatch(PaymentGatewayError):
    """APPID_MCHID_NOT_MATCH: the app id is not bound to the merchant id (PAY-1)."""

    code = "merchant_mismatch"


class CertificateExpired(PaymentGatewayError):
    """The merchant API certificate expired (it expires yearly): renew it, then retry (AS-6)."""

    code = "certificate_expired"


class AmountMismatch(PaymentGatewayError):
    """A notice whose amount is not what the order (or refund) is due: never recorded."""

    code = "amount_mismatch"

    def __init__(self, refused: str, *, expected_fen: int, got_fen: int,
                 rule: str = "ORD-2") -> None:
        self.expected_fen = expected_fen
        self.got_fen = got_fen
        super().__init__(refused, f"{got_fen} fen notified, {expected_fen} fen due", rule=rule)


class TradeNotFound(PaymentGatewayError):
    """ORDERNOTEXIST / RESOURCE_NOT_EXISTS: the gateway knows no such trade or refund."""

    code = "trade_not_found"


class PaymentRejected(PaymentGatewayError):
    """The trade cannot be paid or closed as asked (ORDER_CLOSED, ORDERPAID, USERPAYING)."""

    code = "payment_rejected"


class RefundRejected(PaymentGatewayError):
    """A refund the gateway did not accept (NOT_ENOUGH …); ``retryable`` per AS-6."""

    code = "refund_rejected"


class RequestRejected(PaymentGatewayError):
    """A request the gateway found malformed or not permitted (PARAM_ERROR, NO_AUTH …)."""

    code = "request_rejected"


class GatewayUnavailable(PaymentGatewayError):
    """SYSTEM_ERROR, FREQUENCY_LIMITED, a timeout or a network failure: retry later."""

    code = "gateway_unavailable"
