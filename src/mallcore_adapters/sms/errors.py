"""Typed provider errors: a whole request refused, by kind, with the provider's code.

All are ``ProviderRefused`` (the core's port error), so the delivery loop
reports the numbers instead of losing them; callers can still catch a kind
(bad credentials are a configuration problem, a timeout may be retried later).
"""

from __future__ import annotations

from mallcore.messaging.errors import ProviderRefused

__all__ = [
    "SmsAuthFailed",
    "SmsBalanceExhausted",
    "SmsProviderUnavailable",
    "SmsRateLimited",
    "SmsRequestInvalid",
    "SmsTemplateRefused",
    "tencent_error",
]


class SmsAuthFailed(ProviderRefused):
    """Signature, key or clock refused (AuthFailure.*, SignatureDoesNotMatch …)."""

    code = "sms_auth_failed"


class SmsRequestInvalid(ProviderRefused):
    """The request itself is malformed for the provider (too many numbers, bad parameter)."""

    code = "sms_request_invalid"


class SmsTemplateRefused(ProviderRefused):
    """The provider does not know or has not approved the template or signature (SMS-1)."""

    code = "sms_template_refused"


class SmsRateLimited(ProviderRefused):
    """Too many requests or messages for now; later may work."""

    code = "sms_rate_limited"


class SmsBalanceExhausted(ProviderRefused):
    """The provider account has no balance left (SMS-4)."""

    code = "sms_balance_exhausted"

    def __init__(self, provider: str, provider_code: str, message: str, *,
                 request_id: str | None = None) -> None:
        super().__init__(provider, provider_code, message, request_id=request_id,
                         out_of_balance=True)


class SmsProviderUnavailable(ProviderRefused):
    """Could not talk to the provider, or it failed inside (network, 5xx, InternalError)."""

    code = "sms_provider_unavailable"


_TENCENT_TEMPLATE_CODES = (
    "FailedOperation.TemplateIncorrectOrUnapproved",
    "FailedOperation.SignatureIncorrectOrUnapproved",
    "FailedOperation.MissingTemplateList",
    "FailedOperation.MissingSignatureList",
)


def tencent_error(code: str, message: str, request_id: str | None) -> ProviderRefused:
    """``Response.Error`` of TencentCloud API 3.0 → a typed error."""
    kind: type[ProviderRefused]
    if code == "FailedOperation.InsufficientBalanceInSmsPackage":
        return SmsBalanceExhausted("tencent", code, message, request_id=request_id)
    if code.startswith(("AuthFailure", "UnauthorizedOperation")):
        kind = SmsAuthFailed
    elif code in _TENCENT_TEMPLATE_CODES:
        kind = SmsTemplateRefused
    elif code.startswith(("RequestLimitExceeded", "LimitExceeded.AppDailyLimit",
                          "LimitExceeded.DeliveryFrequencyLimit", "LimitExceeded.DailyLimit")):
        kind = SmsRateLimited
    elif code.startswith(("InternalError", "ResourceUnavailable")):
        kind = SmsProviderUnavailable
    else:
        kind = SmsRequestInvalid
    return kind("tencent", code, message, request_id=request_id)


def aliyun_error(code: str, message: str, request_id: str | None) -> ProviderRefused:
    """A request-level dysmsapi ``Code`` → a typed error (per-number codes are not here)."""
    kind: type[ProviderRefused]
    if code in ("isv.AMOUNT_NOT_ENOUGH", "isv.OUT_OF_SERVICE"):
        return SmsBalanceExhausted("aliyun", code, message, request_id=request_id)
    if (code.startswith(("InvalidAccessKeyId", "InvalidTimeStamp", "Forbidden"))
            or code in ("SignatureDoesNotMatch", "SignatureNonceUsed",
                        "IncompleteSignature", "isv.ACCOUNT_NOT_EXISTS")):
        kind = SmsAuthFailed
    elif code in ("isv.SMS_TEMPLATE_ILLEGAL", "isv.SMS_SIGNATURE_ILLEGAL",
                  "isv.SMS_SIGN_ILLEGAL"):
        kind = SmsTemplateRefused
    elif code.startswith("Throttling"):
        kind = SmsRateLimited
    elif code in ("InternalError", "ServiceUnavailable", "isp.SYSTEM_ERROR",
                  "isp.RAM_PERMISSION_DENY"):
        kind = SmsProviderUnavailable
    else:
        kind = SmsRequestInvalid
    return kind("aliyun", code, message, request_id=request_id)
