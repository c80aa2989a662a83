"""Builders shared by the coupon tests: a fixed clock, terms, seeded batches."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from mallcore.coupons.batches import (
    AbsoluteValidity,
    CouponBatch,
    CouponTerms,
    RelativeValidity,
    Validity,
)
from mallcore.coupons.benefits import FixedAmount
from mallcore.coupons.codes import CodeGenerator
from mallcore.money import money

CST = timezone(timedelta(hours=8))
T0 = datetime(2024, 6, 1, 10, 0, tzinfo=CST)
DAY = timedelta(days=1)
WINDOW = AbsoluteValidity(T0, T0 + 30 * DAY)
TERMS = CouponTerms(FixedAmount(money("5.00")), money("50.00"))


def generator(seed: int = 7, prefix: str = "SHOP") -> CodeGenerator:
    return CodeGenerator(prefix, randbelow=random.Random(seed).randrange)


def normal(
    quantity: int = 5, *, validity: Validity = WINDOW, limit: int | None = 1,
    published: bool = True, batch_id: str = "b1",
) -> CouponBatch:
    batch = CouponBatch.generated(batch_id, "满50减5", TERMS, validity, quantity=quantity,
                                  generator=generator(), per_customer_limit=limit)
    if published:
        batch.publish(T0)
    return batch


def reusable(
    uses: int = 3, *, limit: int | None = None, published: bool = True,
    validity: AbsoluteValidity = WINDOW,
) -> CouponBatch:
    batch = CouponBatch.reusable("r1", "渠道码", TERMS, validity, code="SUMMER24", uses=uses,
                                 per_customer_limit=limit)
    if published:
        batch.publish(T0)
    return batch


__all__ = ["CST", "DAY", "T0", "TERMS", "WINDOW", "RelativeValidity", "generator", "normal",
           "reusable"]
