"""PIPE-5: which later benefits a line may still receive, by the family that priced it.

A line priced by a flash sale, a limited-time discount or a pre-sale keeps a
``Stacking`` saying which stage-1 activity kinds and which later stages it may
join.  The pipeline asks only ``allows(kind)``; a new family is a new constant.
"""

from __future__ import annotations

import enum

import attrs


class BenefitKind(enum.StrEnum):
    """Every benefit the pipeline knows, named by what it does to the order."""

    REDUCTION = "reduction"  # 满减 / 每满减
    DISCOUNT = "discount"  # 满折 (by amount or count)
    FREE_SHIPPING = "free_shipping"  # 满免邮
    GIFT_COUPON = "gift_coupon"  # 满赠券, granted after completion
    COUPON = "coupon"  # stage 2
    MEMBERSHIP = "membership"  # stage 3
    POINTS = "points"  # stage 4


ALL_KINDS = frozenset(BenefitKind)


@attrs.frozen
class Stacking:
    family: str
    allowed: frozenset[BenefitKind]

    def allows(self, kind: BenefitKind) -> bool:
        return kind in self.allowed


#: A line at its normal price joins everything.
REGULAR = Stacking("regular", ALL_KINDS)

#: PIPE-5: a limited-time discount combines only with points and the member discount.
LIMITED_TIME = Stacking("limited_time", frozenset({BenefitKind.MEMBERSHIP, BenefitKind.POINTS}))

#: PIPE-5: a flash sale combines with free shipping and pay-gifts, nothing that cuts its price.
FLASH_SALE = Stacking("flash_sale", frozenset({BenefitKind.FREE_SHIPPING, BenefitKind.GIFT_COUPON}))

#: PIPE-5: a pre-sale combines with spend-X activities, points and the member discount.
PRE_SALE = Stacking(
    "pre_sale",
    frozenset({
        BenefitKind.REDUCTION,
        BenefitKind.DISCOUNT,
        BenefitKind.FREE_SHIPPING,
        BenefitKind.GIFT_COUPON,
        BenefitKind.MEMBERSHIP,
        BenefitKind.POINTS,
    }),
)
