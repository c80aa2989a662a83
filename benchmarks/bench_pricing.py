"""Pricing throughput: a standard cart and a large one, plus how cost grows.

Run with ``nox -s bench`` (or ``python benchmarks/bench_pricing.py``).  Figures
are printed and written to ``.bench/pricing.json``.  Targets (issue 2, one core):
standard cart ≥ 20,000 carts/s; 200 lines × 100 activities ≤ 50 ms; cost linear
in lines × promotions.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from mallcore.coupons import CouponOffer, FixedAmount, PercentOff
from mallcore.customers.points import PointsPolicy
from mallcore.money import Rate, money
from mallcore.pricing import Buyer, Cart, CartLine, PricingPipeline
from mallcore.promotions import (
    Activity,
    DiscountTier,
    EveryReduction,
    FreeShipping,
    GiftCoupons,
    GiftTier,
    ProductScope,
    ReductionTier,
    TieredDiscount,
    TieredReduction,
)

NOW = datetime(2026, 11, 22, 10, tzinfo=timezone(timedelta(hours=8)))


def standard() -> Callable[[], object]:
    """5 lines, 4 activities, 1 coupon, a member level, 10 points."""
    lines = [
        CartLine(f"sku-{i}", f"p-{i}", 1 + i % 3, money(f"{20 + 7 * i}.90"),
                 categories={"tea" if i % 2 else "snacks"})
        for i in range(5)
    ]
    cart = Cart(lines, shipping=money("8.00"))
    activities = [
        Activity("storewide-90", "全场满100打9折",
                 TieredDiscount([DiscountTier(money("100"), Rate.zhe(9))])),
        Activity("tea-100-15", "茶满100减15",
                 TieredReduction([ReductionTier(money("50"), money("5")),
                                  ReductionTier(money("100"), money("15"))]),
                 products=ProductScope(categories={"tea"})),
        Activity("gift-100", "满100赠券", GiftCoupons([GiftTier(money("100"), "thanks")])),
        Activity("ship-99", "满99包邮", FreeShipping(money("99"))),
    ]
    pipeline = PricingPipeline(activities, points_policy=PointsPolicy(cap_percent=50))
    buyer = Buyer("c-1", "gold", Rate.zhe(9), points_balance=100)
    coupon = CouponOffer("c-5", "满50减5", FixedAmount(money("5")), threshold=money("50"))

    def run() -> object:
        return pipeline.price(cart, now=NOW, buyer=buyer, coupon=coupon, points=10)

    return run


def large(n_lines: int = 200, n_activities: int = 100, seed: int = 7) -> Callable[[], object]:
    """Many lines, many overlapping activities of every kind, one coupon, points."""
    rng = random.Random(seed)
    products = [f"p-{i}" for i in range(n_lines)]
    lines = [
        CartLine(f"sku-{i}", products[i], rng.randint(1, 4),
                 money(f"{rng.randint(1, 500)}.{rng.randint(0, 99):02d}"),
                 categories={f"cat-{i % 20}"})
        for i in range(n_lines)
    ]
    cart = Cart(lines, shipping=money("12.00"), region="浙江")
    activities = []
    for a in range(n_activities):
        scope = ProductScope(products=frozenset(rng.sample(products, max(1, n_lines // 20))))
        kind = a % 5
        if kind == 0:
            benefit: object = TieredReduction([ReductionTier(money("100"), money("10")),
                                               ReductionTier(money("300"), money("40"))])
        elif kind == 1:
            benefit = EveryReduction(money("100"), money("8"), money("80"))
        elif kind == 2:
            benefit = TieredDiscount([DiscountTier(money("200"), Rate.zhe("9.5")),
                                      DiscountTier(money("500"), Rate.zhe("8.8"))])
        elif kind == 3:
            benefit = TieredDiscount([DiscountTier(3, Rate.zhe(9))], by_count=True)
        else:
            benefit = GiftCoupons([GiftTier(money("150"), f"gift-{a}")])
        activities.append(Activity(f"act-{a:03d}", f"activity {a}", benefit,  # type: ignore[arg-type]
                                   products=scope))
    activities.append(Activity("ship", "满199包邮", FreeShipping(money("199"))))
    pipeline = PricingPipeline(activities, points_policy=PointsPolicy(cap_percent=30))
    buyer = Buyer("c-1", "gold", Rate.zhe("9.5"), points_balance=1000)
    coupon = CouponOffer("c-10", "9折券", PercentOff(Rate.zhe(9), money("50")))

    def run() -> object:
        return pipeline.price(cart, now=NOW, buyer=buyer, coupon=coupon, points=200,
                              strict_coupon=False)

    return run


def timed(fn: Callable[[], object], seconds: float = 1.0) -> tuple[float, float]:
    """Seconds per call as (best, median) over many short batches.

    This machine is a VM with noisy neighbours: one long batch measures them too.
    The best of many ~20 ms batches is the cost of our code; the median shows the noise.
    """
    fn()
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - start >= 0.02:
            break
        n *= 2
    per_call = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(per_call) < 5:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        per_call.append((time.perf_counter() - start) / n)
    return min(per_call), statistics.median(per_call)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=".bench/pricing.json")
    parser.add_argument("--quick", action="store_true", help="shorter runs (CI smoke)")
    args = parser.parse_args()
    seconds = 0.2 if args.quick else 1.0

    std, std_median = timed(standard(), seconds * 3)
    big, big_median = timed(large(), seconds * 2)
    scaling = []
    for n_lines, n_acts in ((25, 12), (50, 25), (100, 50), (200, 100), (400, 200)):
        t, _ = timed(large(n_lines, n_acts), seconds / 2)
        scaling.append({"lines": n_lines, "activities": n_acts, "ms": round(t * 1e3, 3)})
    # Each step doubles lines and activities: 4× the work.  Linear growth means the
    # time grows at most 4× per step (fixed costs make small carts grow less).
    growth = [round(b["ms"] / a["ms"], 2) for a, b in itertools.pairwise(scaling)]
    result = {
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                    "cpus": os.cpu_count()},
        "standard_cart": {
            "lines": 5, "activities": 4, "coupon": 1, "member_level": True, "points": 10,
            "carts_per_s": round(1 / std), "us_per_cart": round(std * 1e6, 1),
            "median_us_per_cart": round(std_median * 1e6, 1),
            "target_carts_per_s": 20000, "met": 1 / std >= 20000,
        },
        "large_cart": {"lines": 200, "activities": 101, "ms": round(big * 1e3, 2),
                       "median_ms": round(big_median * 1e3, 2),
                       "target_ms": 50, "met": big * 1e3 <= 50},
        "scaling": scaling,
        "growth_per_4x_work": growth,
        "linear": all(g <= 4.4 for g in growth),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
