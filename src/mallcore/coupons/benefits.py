"""Coupon benefits (CPN-1): what a coupon does at stage 2 of the pipeline.

A ``CouponOffer`` is the priced view of one coupon in the buyer's hand: its
benefit, threshold and scope.  Thresholds are measured on the goods total of
the in-scope lines after stage 1 (004 "它以营销活动作用后的商品总额为计算标准").
"""

from __future__ import annotations

import attrs

from mallcore.errors import InvalidConfiguration
from mallcore.money import Money, Rate, format_yuan, to_fen
from mallcore.promotions.scope import ALL_PRODUCTS, ProductScope


@attrs.frozen
class FixedAmount:
    """A voucher of ``amount``; never takes a line below zero."""

    amount: Money

    def describe(self) -> str:
        return f"{self.amount.amount} off"


@attrs.frozen
class PercentOff:
    """Pay ``rate`` of the in-scope goods, the saving optionally capped."""

    rate: Rate
    cap: Money | None = None

    def describe(self) -> str:
        cap = f", at most {self.cap.amount}" if self.cap is not None else ""
        return f"{self.rate.label()}{cap}"


@attrs.frozen
class ExchangeItem:
    """One unit of a chosen SKU free (兑换券)."""

    sku: str

    def describe(self) -> str:
        return f"one {self.sku} free"


@attrs.frozen
class FreeShippingCoupon:
    def describe(self) -> str:
        return "free shipping"


CouponBenefit = FixedAmount | PercentOff | ExchangeItem | FreeShippingCoupon


@attrs.frozen
class CouponOffer:
    id: str
    name: str
    benefit: CouponBenefit
    threshold: Money | None = None
    scope: ProductScope = ALL_PRODUCTS
    currency: str = "CNY"
    threshold_fen: int = attrs.field(init=False, repr=False, eq=False)
    amount_fen: int = attrs.field(init=False, repr=False, eq=False)
    cap_fen: int | None = attrs.field(init=False, repr=False, eq=False)
    _description: str = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        cur = self.currency
        threshold = 0 if self.threshold is None else to_fen(self.threshold, cur, what="threshold")
        amount = 0
        cap = None
        benefit = self.benefit
        if isinstance(benefit, FixedAmount):
            amount = to_fen(benefit.amount, cur, what="coupon amount")
            if amount <= 0:
                raise InvalidConfiguration(
                    f"coupon {self.id!r}", "a fixed coupon must be worth more than 0", rule="CPN-1"
                )
        elif isinstance(benefit, PercentOff) and benefit.cap is not None:
            cap = to_fen(benefit.cap, cur, what="coupon cap")
            if cap <= 0:
                raise InvalidConfiguration(
                    f"coupon {self.id!r}", "a cap must be above 0", rule="CPN-1"
                )
        if threshold < 0:
            raise InvalidConfiguration(
                f"coupon {self.id!r}", "threshold is negative", rule="CPN-1"
            )
        object.__setattr__(self, "threshold_fen", threshold)
        object.__setattr__(self, "amount_fen", amount)
        object.__setattr__(self, "cap_fen", cap)
        object.__setattr__(self, "_description", self._describe())

    def describe(self) -> str:
        return self._description

    def _describe(self) -> str:
        text = self.benefit.describe()
        if self.threshold_fen:
            text = f"spend {format_yuan(self.threshold_fen)}: {text}"
        if not self.scope.everything:
            text += f" ({self.scope.describe()})"
        return text
