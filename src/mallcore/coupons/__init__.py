"""Coupons: the benefits applied at stage 2 (CPN-1).  The lifecycle comes later."""

from mallcore.coupons.benefits import (
    CouponOffer,
    ExchangeItem,
    FixedAmount,
    FreeShippingCoupon,
    PercentOff,
)

__all__ = ["CouponOffer", "ExchangeItem", "FixedAmount", "FreeShippingCoupon", "PercentOff"]
