"""WeChat Pay API v3: prepay, notifications, refunds, query."""

from mallcore_adapters import require_extra

require_extra("wechatpay", "wechatpay", "httpx", "cryptography")
