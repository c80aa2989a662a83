"""Tencent Cloud and Alibaba Cloud SMS senders."""

from mallcore_adapters import require_extra

require_extra("sms", "sms", "httpx")
