"""What happened to a coupon batch: the events it records, one per accepted change.

Events are facts in the past tense and immutable.  A refused call records
none, so ``CouponBatch.events`` and ``CouponBatch.version`` move together.
"""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = [
    "BatchDeleted",
    "BatchEdited",
    "BatchEvent",
    "BatchPublished",
    "BatchVoided",
    "CouponClaimed",
    "CouponRedeemed",
    "CouponRestored",
    "CouponsDistributed",
]


@attrs.frozen
class BatchEvent:
    batch_id: str
    at: datetime


@attrs.frozen
class BatchEdited(BatchEvent):
    changed: tuple[str, ...]


@attrs.frozen
class BatchPublished(BatchEvent):
    pass


@attrs.frozen
class BatchVoided(BatchEvent):
    killed: int  # units that died (unclaimed codes, or the reusable code's uses left)


@attrs.frozen
class BatchDeleted(BatchEvent):
    killed: int


@attrs.frozen
class CouponsDistributed(BatchEvent):
    grants: tuple[tuple[str, tuple[str, ...]], ...]  # (customer id, codes)


@attrs.frozen
class CouponClaimed(BatchEvent):
    customer_id: str
    code: str


@attrs.frozen
class CouponRedeemed(BatchEvent):
    code: str
    customer_id: str
    order_number: str


@attrs.frozen
class CouponRestored(BatchEvent):
    code: str
    customer_id: str
    order_number: str
