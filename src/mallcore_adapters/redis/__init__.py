"""Flash-sale stock shared by many application servers, reserved atomically in Lua."""

from mallcore_adapters import require_extra

require_extra("redis", "redis", "redis")

from mallcore_adapters.redis.flash_store import (  # noqa: E402
    RedisFlashStore,
    RefRecord,
    SaleKeys,
    sale_keys,
)
from mallcore_adapters.redis.reconcile import (  # noqa: E402
    FlashRecord,
    LimitDifference,
    ReconcileReport,
    RecordState,
    RefDifference,
    SkuDifference,
    rebuild,
    reconcile,
)

__all__ = [
    "FlashRecord",
    "LimitDifference",
    "ReconcileReport",
    "RecordState",
    "RedisFlashStore",
    "RefDifference",
    "RefRecord",
    "SaleKeys",
    "SkuDifference",
    "rebuild",
    "reconcile",
    "sale_keys",
]
