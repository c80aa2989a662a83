"""The 8 quick filters and the counts of orders awaiting action (ORD-10, ORD-1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from order_search_builders import CST, NOW, T0, numbers, populations, summary

from mallcore.errors import InvalidInput
from mallcore.orders.search import (
    ActionCounts,
    OrderQuery,
    QuickFilter,
    action_counts,
    last_3_months_start,
    run,
)
from mallcore.orders.summary import OrderSummary

UNPAID = summary("U1", status="pending_payment", paid_at=None)
TO_SHIP = summary("P1")
PARTLY = summary("P2", logistics="partially_shipped", tracking_numbers={"SF1"})
SHIPPED = summary("S1", status="shipped", logistics="shipped", tracking_numbers={"SF2"})
SIGNED = summary("S2", status="shipped", logistics="signed", tracking_numbers={"SF3"})
DONE = summary("D1", status="completed", logistics="signed", star="red")
CLOSED = summary("X1", status="closed", paid_at=None, star="blue")
AFTER_SALES = summary(
    "D2",
    status="completed",
    logistics="signed",
    open_after_sales=1,
    placed_at=T0 - timedelta(days=120),
)
CANCEL_ASKED = summary("P3", refund_requested=True, star="red")
ORDERS = [UNPAID, TO_SHIP, PARTLY, SHIPPED, SIGNED, DONE, CLOSED, AFTER_SALES, CANCEL_ASKED]


def quick(f: QuickFilter, orders: list[OrderSummary] = ORDERS) -> set[str]:
    return set(numbers(run(OrderQuery(quick=f), orders, NOW)))


# RULES: ORD-10, ORD-1, ORD-4
@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (QuickFilter.UNPAID, {"U1"}),
        # paid = awaiting shipment; a partly shipped order still has goods to ship
        (QuickFilter.TO_SHIP, {"P1", "P2", "P3"}),
        # shipped = awaiting receipt, whether or not the carrier reports it signed
        (QuickFilter.SHIPPED, {"S1", "S2"}),
        (QuickFilter.COMPLETED, {"D1", "D2"}),
        (QuickFilter.CLOSED, {"X1"}),
        # an open after-sales application or a cancellation request, whatever the status
        (QuickFilter.REFUND_REQUESTS, {"D2", "P3"}),
        (QuickFilter.STARRED, {"D1", "X1", "P3"}),
        (QuickFilter.LAST_3_MONTHS, {"U1", "P1", "P2", "S1", "S2", "D1", "X1", "P3"}),
    ],
)
def test_each_quick_filter_selects_its_orders(f: QuickFilter, expected: set[str]) -> None:
    assert quick(f) == expected


# RULES: ORD-10
def test_there_are_the_eight_quick_filters_of_the_order_list() -> None:
    assert len(QuickFilter) == 8
    assert {f.status for f in QuickFilter} == {
        None,
        "pending_payment",
        "paid",
        "shipped",
        "completed",
        "closed",
    }
    assert QuickFilter.STARRED.status is None


# RULES: ORD-10
def test_quick_filter_matches_agrees_with_a_query_of_it() -> None:
    for f in QuickFilter:
        for order in ORDERS:
            assert f.matches(order, NOW) == OrderQuery(quick=f).matches(order, NOW), (f, order)


# --- last 3 months -------------------------------------------------------------------


# RULES: ORD-10
@pytest.mark.parametrize(
    ("now", "start"),
    [
        (datetime(2026, 5, 31, 12, 0, tzinfo=CST), datetime(2026, 2, 28, 12, 0, tzinfo=CST)),
        (datetime(2028, 5, 31, 12, 0, tzinfo=CST), datetime(2028, 2, 29, 12, 0, tzinfo=CST)),
        (datetime(2026, 3, 15, 8, 30, tzinfo=CST), datetime(2025, 12, 15, 8, 30, tzinfo=CST)),
        (datetime(2026, 7, 31, 0, 0, tzinfo=CST), datetime(2026, 4, 30, 0, 0, tzinfo=CST)),
    ],
)
def test_last_3_months_starts_3_calendar_months_before_now(now: datetime, start: datetime) -> None:
    assert last_3_months_start(now) == start


# RULES: ORD-10
def test_last_3_months_includes_its_first_instant_and_not_the_one_before() -> None:
    start = datetime(2026, 2, 28, 12, 0, tzinfo=CST)
    at = summary("A", placed_at=start)
    before = summary("B", placed_at=start - timedelta(microseconds=1))
    later = summary("C", placed_at=NOW + timedelta(days=1))  # no upper bound
    assert quick(QuickFilter.LAST_3_MONTHS, [at, before, later]) == {"A", "C"}


# RULES: ORD-10
def test_last_3_months_counts_calendar_months_in_the_time_zone_of_now() -> None:
    # 2026-05-31 02:00 in China is 2026-05-30 18:00 UTC: "3 months ago" differs by a day.
    now_cst = datetime(2026, 5, 31, 2, 0, tzinfo=CST)
    now_utc = now_cst.astimezone(UTC)
    order = summary("A", placed_at=datetime(2026, 2, 28, 10, 0, tzinfo=CST))
    assert OrderQuery(quick=QuickFilter.LAST_3_MONTHS).matches(order, now_cst)
    assert not OrderQuery(quick=QuickFilter.LAST_3_MONTHS).matches(order, now_utc)


# RULES: ORD-10
def test_last_3_months_needs_an_aware_now() -> None:
    with pytest.raises(InvalidInput) as caught:
        last_3_months_start(datetime(2026, 5, 31, 12, 0))
    assert caught.value.refused == "now"
    assert caught.value.rule == "ORD-10"
    with pytest.raises(InvalidInput):
        QuickFilter.LAST_3_MONTHS.matches(TO_SHIP, datetime(2026, 5, 31))


# --- action counts ------------------------------------------------------------------


# RULES: ORD-10
def test_action_counts_of_the_order_list() -> None:
    assert action_counts(ORDERS) == ActionCounts(
        unpaid=1,
        to_ship=3,
        refund_requests=2,
        awaiting_receipt=2,
        merchant_pending=4,  # P1, P2, P3 (to ship and a request: once), D2
    )


# RULES: ORD-10
def test_no_orders_no_actions() -> None:
    assert action_counts([]) == ActionCounts(0, 0, 0, 0, 0)
    assert action_counts(iter([DONE, CLOSED])) == ActionCounts(0, 0, 0, 0, 0)


# RULES: ORD-10
def test_several_open_applications_on_one_order_count_one_order() -> None:
    busy = summary("D9", status="completed", logistics="signed", open_after_sales=3)
    assert action_counts([busy]).refund_requests == 1
    assert action_counts([busy]).merchant_pending == 1


# RULES: ORD-10
@given(populations(max_size=15))
def test_action_counts_equal_the_sizes_of_the_quick_filters(
    orders: list[OrderSummary],
) -> None:
    counts = action_counts(orders)

    def size(f: QuickFilter) -> int:
        return len(run(OrderQuery(quick=f), orders, NOW))

    assert counts.unpaid == size(QuickFilter.UNPAID)
    assert counts.to_ship == size(QuickFilter.TO_SHIP)
    assert counts.refund_requests == size(QuickFilter.REFUND_REQUESTS)
    assert counts.awaiting_receipt == size(QuickFilter.SHIPPED)
    either = {s.number for s in run(OrderQuery(quick=QuickFilter.TO_SHIP), orders, NOW)} | {
        s.number for s in run(OrderQuery(quick=QuickFilter.REFUND_REQUESTS), orders, NOW)
    }
    assert counts.merchant_pending == len(either)
