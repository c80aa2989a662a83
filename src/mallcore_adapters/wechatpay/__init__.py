"""WeChat Pay API v3: prepay, notifications, refunds, query."""

from mallcore_adapters import require_extra

require_extra("wechatpay", "wechatpay", "httpx", "cryptography")

from mallcore_adapters.wechatpay.client import PRODUCTION_URL, WeChatPayClient  # noqa: E402
from mallcore_adapters.wechatpay.config import WeChatPayConfig  # noqa: E402
from mallcore_adapters.wechatpay.notifications import (  # noqa: E402
    NotificationAnswer,
    NotificationHandler,
)
from mallcore_adapters.wechatpay.verifier import PlatformVerifier  # noqa: E402

__all__ = ["PRODUCTION_URL", "NotificationAnswer", "NotificationHandler", "PlatformVerifier",
           "WeChatPayClient", "WeChatPayConfig"]
