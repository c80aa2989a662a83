"""Read views of a coupon batch: immutable snapshots it hands out, never its state.

``CouponCode`` is one code as the merchant's detail page shows it,
``WalletEntry`` a usable coupon in a customer's hand, ``Redemption`` one use of
a code by an order, ``BatchFigures`` the batch's counts.  Changing a view
changes nothing in the batch.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from mallcore.coupons.benefits import CouponOffer
from mallcore.coupons.terms import BatchFamily

__all__ = ["BatchFigures", "CodeStatus", "CouponCode", "Redemption", "WalletEntry"]


class CodeStatus(enum.StrEnum):
    UNCLAIMED = "unclaimed"  # alive, nobody holds it (reusable: uses left)
    HELD = "held"  # a customer holds it, unused (it may still be expired: see usable())
    USED = "used"  # redeemed by an order (reusable: every use consumed)
    VOID = "void"  # killed by voiding or deleting the batch


@attrs.frozen
class CouponCode:
    """One code as the merchant's detail page shows it (seed 004 "4.1 详情")."""

    batch_id: str
    code: str
    status: CodeStatus
    owner: str | None = None
    claimed_at: datetime | None = None
    valid_from: datetime | None = None
    expires_at: datetime | None = None
    order_number: str | None = None
    used_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        return (
            self.status is CodeStatus.HELD
            and self.valid_from is not None
            and self.expires_at is not None
            and self.valid_from <= now < self.expires_at
        )


@attrs.frozen
class WalletEntry:
    """A usable coupon in a customer's hand, priced as stage 2 will see it."""

    batch_id: str
    code: str
    offer: CouponOffer
    valid_from: datetime
    expires_at: datetime


@attrs.frozen
class Redemption:
    batch_id: str
    code: str
    customer_id: str
    order_number: str
    at: datetime


@attrs.frozen
class BatchFigures:
    """Per-batch figures (seed 004 "3.1 数据").

    ``issued`` is the quantity: codes of a normal batch, uses of a reusable one.
    Every unit is in exactly one of ``claimed`` (used ones included),
    ``unclaimed`` (alive, still to hand out) or ``voided``, so
    ``claimed + unclaimed + voided == issued``.  For a reusable batch a use is
    its own claim: ``claimed == used``.
    """

    family: BatchFamily
    issued: int
    claimed: int
    unclaimed: int
    used: int
    voided: int

    @property
    def quantity(self) -> int:
        return self.issued
