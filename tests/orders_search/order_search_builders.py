"""Builders and hypothesis strategies for the ``test_order_search_*`` modules (ORD-10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from mallcore.money import Money, from_fen
from mallcore.orders.search import QuickFilter
from mallcore.orders.summary import LOGISTICS_STATUSES, ORDER_STATUSES, OrderSummary

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 5, 31, 12, 0, tzinfo=CST)
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=CST)


def summary(number: str = "N0001", **overrides: Any) -> OrderSummary:
    """A paid, unshipped physical order; override any field by keyword."""
    fields: dict[str, Any] = {
        "number": number,
        "status": "paid",
        "logistics": "not_shipped",
        "placed_at": T0,
        "paid_at": T0 + timedelta(minutes=5),
        "total_fen": 10000,
        "payment_methods": {"wechat"},
        "payment_ids": {f"wx-{number}"},
        "product_types": {"physical"},
        "customer_id": "C1",
        "phone": "13812345678",
        "consignee": "张三",
        "product_ids": {"P1"},
        "product_names": {"Green Tea 绿茶"},
        "categories": {"tea"},
        "brands": {"Longjing"},
        "sku_ids": {"P1-250g"},
    }
    fields.update(overrides)
    return OrderSummary(**fields)


def numbers(found: list[OrderSummary]) -> list[str]:
    return [s.number for s in found]


# --- hypothesis ----------------------------------------------------------------------

# Few distinct values, so filters both hit and miss and sort keys tie often.  The
# instants mix time zones: 09:00+08:00 and 01:00Z are the same instant.  Three are
# before or at the start of NOW's "last 3 months" (2026-02-28 12:00+08:00).
MOMENTS = [
    datetime(2025, 12, 1, 8, 0, tzinfo=CST),
    datetime(2026, 2, 28, 11, 59, 59, tzinfo=CST),  # 1 s before NOW's "last 3 months"
    datetime(2026, 2, 28, 12, 0, tzinfo=CST),  # its first instant
    datetime(2026, 2, 28, 23, 59, 59, tzinfo=CST),
    datetime(2026, 2, 28, 16, 0, tzinfo=UTC),  # = 03-01 00:00 CST
    datetime(2026, 3, 1, 0, 0, tzinfo=CST),
    datetime(2026, 3, 1, 9, 0, tzinfo=CST),
    datetime(2026, 3, 1, 1, 0, tzinfo=UTC),  # = 03-01 09:00 CST
    datetime(2026, 4, 15, 12, 0, tzinfo=CST),
    datetime(2026, 5, 31, 11, 59, tzinfo=CST),
]
TOTALS = [0, 1, 999, 1000, 1001, 5000]
METHODS = ["wechat", "balance", "alipay", "manual"]
ACTIVITIES = ["reduction", "discount", "flash_sale"]
COLOURS = ["red", "blue"]
PHONES = ["13812345678", "13912345678", "+8613812345678", "5678"]
NAMES = ["Green Tea", "green tea gift box", "Black Tea", "茶具"]
CONSIGNEES = ["张三", "李四", "Zhang San"]
IDS = ["A", "B", "C"]


def _subset(pool: list[str]) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(pool), max_size=len(pool))


# Strategies are built once here: building them inside a composite costs more than
# drawing from them.
_SUMMARY_FIELDS = st.fixed_dictionaries(
    {
        "status": st.sampled_from(ORDER_STATUSES),
        "logistics": st.sampled_from(LOGISTICS_STATUSES),
        "placed_at": st.sampled_from(MOMENTS),
        "paid_at": st.none() | st.sampled_from(MOMENTS),
        "total_fen": st.sampled_from(TOTALS),
        "payment_methods": _subset(METHODS),
        "payment_ids": _subset(IDS),
        "product_types": _subset(["physical", "virtual"]),
        "activity_types": _subset(ACTIVITIES),
        "star": st.none() | st.sampled_from(COLOURS),
        "phone": st.none() | st.sampled_from(PHONES),
        "consignee": st.none() | st.sampled_from(CONSIGNEES),
        "tracking_numbers": _subset(IDS),
        "product_ids": _subset(IDS),
        "product_names": _subset(NAMES),
        "categories": _subset(IDS),
        "brands": _subset(IDS),
        "sku_ids": _subset(IDS),
        "open_after_sales": st.sampled_from([0, 0, 1, 2]),
        "refund_requested": st.booleans(),
    }
)
_NUMBERS = st.lists(st.integers(0, 40), unique=True, max_size=12)


def _summary(number: int, fields: dict[str, Any]) -> OrderSummary:
    if fields["status"] == "pending_payment":
        fields = {**fields, "paid_at": None}
    return OrderSummary(number=f"N{number:03d}", customer_id="C1", **fields)


@st.composite
def populations(draw: st.DrawFn, max_size: int = 12) -> list[OrderSummary]:
    """Orders with distinct numbers, listed in no particular order of number."""
    picked = draw(_NUMBERS)[:max_size]
    return [_summary(n, draw(_SUMMARY_FIELDS)) for n in picked]


def _ordered_pair(pool: list[Any]) -> st.SearchStrategy[tuple[Any, Any]]:
    """A (low, high) pair with low <= high; either side may be unset."""
    side = st.none() | st.sampled_from(pool)
    return st.tuples(side, side).map(lambda p: tuple(sorted(p)) if None not in p else p)


def _money_pair(pair: tuple[int | None, int | None]) -> tuple[Money | None, Money | None]:
    low, high = pair
    return (None if low is None else from_fen(low), None if high is None else from_fen(high))


#: One strategy per filter; the ranges give both of their bounds at once.
_FILTERS: dict[str, st.SearchStrategy[Any]] = {
    "quick": st.sampled_from(QuickFilter),
    "statuses": _subset(list(ORDER_STATUSES)),
    "logistics": _subset(list(LOGISTICS_STATUSES)),
    "payment_methods": _subset(METHODS),
    "product_types": _subset(["physical", "virtual"]),
    "activity_types": _subset(ACTIVITIES),
    "star_colours": _subset(COLOURS),
    "placed": _ordered_pair(MOMENTS),
    "paid": _ordered_pair(MOMENTS),
    "total": _ordered_pair(TOTALS).map(_money_pair),
    "payment_id": st.sampled_from(IDS),
    "number": st.sampled_from([f"N{n:03d}" for n in range(0, 41, 3)]),
    "product_id": st.sampled_from(IDS),
    "product_name": st.sampled_from(["tea", "TEA", "Green", "茶", "box"]),
    "category": st.sampled_from(IDS),
    "brand": st.sampled_from(IDS),
    "phone": st.sampled_from(["5678", "12345678", "13812345678", "8613"]),
    "consignee": st.sampled_from(["张", "三", "zhang", "李四"]),
    "tracking_number": st.sampled_from(IDS),
    "sku_id": st.sampled_from(IDS),
}
_RANGES = {
    "placed": ("placed_from", "placed_to"),
    "paid": ("paid_from", "paid_to"),
    "total": ("total_min", "total_max"),
}
_CHOSEN = st.lists(st.sampled_from(sorted(_FILTERS)), unique=True, min_size=1, max_size=3)


@st.composite
def filters(draw: st.DrawFn) -> dict[str, Any]:
    """The filtering fields of a valid ``OrderQuery`` (no paging, no sort): 1 to 3
    filters, so queries both hit and miss (with every field set, nothing would match).
    """
    fields: dict[str, Any] = {}
    for name in draw(_CHOSEN):
        value = draw(_FILTERS[name])
        if name in _RANGES:
            for bound, part in zip(_RANGES[name], value, strict=True):
                if part is not None:
                    fields[bound] = part
        else:
            fields[name] = value
    return fields
