"""What the coupons of a batch are: their family (CPN-2) and their terms (CPN-1).

A *normal* batch is a set of single-use codes (its quantity is the number of
codes; customers claim them through a link, or the merchant distributes them);
a *reusable* batch is one custom code used many times (its quantity is the
number of uses; it is neither claimed nor distributed nor gifted).

``CouponTerms`` say what every coupon of a batch does, as ``CouponOffer`` will
price it at stage 2.
"""

from __future__ import annotations

import enum

import attrs
from moneyed import Money

from mallcore.coupons.benefits import (
    CouponBenefit,
    CouponOffer,
    ExchangeItem,
    FixedAmount,
    FreeShippingCoupon,
    PercentOff,
)
from mallcore.errors import InvalidConfiguration
from mallcore.promotions.scope import ALL_PRODUCTS, ProductScope

__all__ = ["BatchFamily", "CouponTerms", "batch_terms"]


class BatchFamily(enum.StrEnum):
    NORMAL = "normal"  # 普通券: many single-use codes
    REUSABLE = "reusable"  # 复用券: one code, many uses


_BENEFITS = (FixedAmount, PercentOff, ExchangeItem, FreeShippingCoupon)


@attrs.frozen
class CouponTerms:
    """Benefit, threshold and scope of every coupon of a batch (CPN-1).

    Building the terms builds a probe ``CouponOffer``, so a batch whose coupons
    the pricing pipeline would refuse is refused when it is configured.
    """

    benefit: CouponBenefit
    threshold: Money | None = None
    scope: ProductScope = ALL_PRODUCTS
    currency: str = "CNY"

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.benefit, _BENEFITS):
            raise InvalidConfiguration(
                "coupon benefit", f"{self.benefit!r} is not a coupon benefit", rule="CPN-1"
            )
        if not isinstance(self.scope, ProductScope):
            raise InvalidConfiguration(
                "coupon scope", f"{self.scope!r} is not a ProductScope", rule="CPN-1"
            )
        self.offer("terms", "terms")

    def offer(self, coupon_id: str, name: str) -> CouponOffer:
        return CouponOffer(coupon_id, name, self.benefit, self.threshold, self.scope,
                           self.currency)


def batch_terms(terms: object, what: str) -> CouponTerms:
    """``terms`` if they are ``CouponTerms``, else refused for the batch named in ``what``."""
    if not isinstance(terms, CouponTerms):
        raise InvalidConfiguration(what, f"{terms!r} is not CouponTerms", rule="CPN-1")
    return terms
