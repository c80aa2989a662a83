"""Tencent Cloud and Alibaba Cloud SMS senders (``MessageSender`` adapters)."""

from mallcore_adapters import require_extra

require_extra("sms", "sms", "httpx")

from mallcore_adapters.sms.aliyun import AliyunSmsSender  # noqa: E402
from mallcore_adapters.sms.errors import (  # noqa: E402
    SmsAuthFailed,
    SmsBalanceExhausted,
    SmsProviderUnavailable,
    SmsRateLimited,
    SmsRequestInvalid,
    SmsTemplateRefused,
)
from mallcore_adapters.sms.tencent import TencentSmsSender  # noqa: E402

__all__ = [
    "AliyunSmsSender",
    "SmsAuthFailed",
    "SmsBalanceExhausted",
    "SmsProviderUnavailable",
    "SmsRateLimited",
    "SmsRequestInvalid",
    "SmsTemplateRefused",
    "TencentSmsSender",
]
