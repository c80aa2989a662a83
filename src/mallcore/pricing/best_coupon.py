"""Which coupon in the buyer's wallet saves most, through the whole pipeline (CPN-1).

A coupon's face value is not what it saves: its threshold is measured after the
activities, the member discount applies to what it leaves, and points are capped
on the result (PIPE-1).  So each coupon is priced through the full pipeline and
ranked by what the buyer would finally pay.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

import attrs

from mallcore.coupons.benefits import CouponOffer
from mallcore.pricing.breakdown import PriceBreakdown, Stage
from mallcore.pricing.buyer import GUEST, Buyer
from mallcore.pricing.cart import Cart
from mallcore.pricing.pipeline import PricingPipeline
from mallcore.pricing.reasons import SkipReason


class HeldCoupon(Protocol):
    """A coupon in a wallet (``coupons.batches.WalletEntry`` is one)."""

    @property
    def offer(self) -> CouponOffer: ...

    @property
    def expires_at(self) -> datetime: ...


@attrs.frozen
class RankedCoupon:
    offer: CouponOffer
    usable: bool
    payable_fen: int
    saving_fen: int  # against paying with no coupon at all; may be 0 or less (PTS-2 caps)
    breakdown: PriceBreakdown
    reason: SkipReason | None = None  # why it cannot be used
    detail: str = ""
    expires_at: datetime | None = None


def rank_coupons(
    pipeline: PricingPipeline,
    cart: Cart,
    offers: Iterable[CouponOffer],
    *,
    now: datetime,
    buyer: Buyer = GUEST,
    points: int = 0,
    expiries: Mapping[str, datetime] | None = None,
) -> list[RankedCoupon]:
    """Every coupon priced through the full pipeline; usable ones first, cheapest first.

    Ties go to the coupon that expires first (use it before it is lost), then by id,
    so the ranking is deterministic.
    """
    expiries = expiries or {}
    without = pipeline.price(cart, now=now, buyer=buyer, points=points).payable_fen
    ranked = []
    for offer in offers:
        b = pipeline.price(cart, now=now, buyer=buyer, coupon=offer, points=points,
                           strict_coupon=False)
        skipped = b.skipped_in(Stage.COUPONS)
        ranked.append(RankedCoupon(
            offer, not skipped, b.payable_fen, without - b.payable_fen, b,
            skipped[0].reason if skipped else None, skipped[0].detail if skipped else "",
            expiries.get(offer.id),
        ))
    far = datetime.max.replace(tzinfo=now.tzinfo)
    ranked.sort(key=lambda r: (not r.usable, r.payable_fen, r.expires_at or far, r.offer.id))
    return ranked


def best_coupon(
    pipeline: PricingPipeline, cart: Cart, offers: Iterable[CouponOffer], *, now: datetime,
    buyer: Buyer = GUEST, points: int = 0, expiries: Mapping[str, datetime] | None = None,
) -> RankedCoupon | None:
    """The usable coupon that leaves the buyer paying least, if it beats no coupon."""
    ranked = rank_coupons(pipeline, cart, offers, now=now, buyer=buyer, points=points,
                          expiries=expiries)
    if ranked and ranked[0].usable and ranked[0].saving_fen > 0:
        return ranked[0]
    return None


def rank_wallet(
    pipeline: PricingPipeline, cart: Cart, wallet: Iterable[HeldCoupon], *, now: datetime,
    buyer: Buyer = GUEST, points: int = 0,
) -> list[RankedCoupon]:
    """``rank_coupons`` over a customer's wallet, each coupon's own expiry breaking ties."""
    held = list(wallet)
    return rank_coupons(pipeline, cart, [h.offer for h in held], now=now, buyer=buyer,
                        points=points, expiries={h.offer.id: h.expires_at for h in held})
