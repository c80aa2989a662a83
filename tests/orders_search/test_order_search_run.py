"""Running a query: deterministic order, paging, and agreement with ``matches`` (ORD-10)."""

from __future__ import annotations

import itertools
from datetime import UTC, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from order_search_builders import MOMENTS, NOW, T0, filters, numbers, populations, summary

from mallcore.errors import InvalidInput
from mallcore.money import money
from mallcore.orders.search import ORDER_BY, OrderQuery, last_3_months_start, run
from mallcore.orders.summary import OrderSummary

# Same instant twice (B, C), same total twice (A, C), numbers not in time order.
A = summary("N030", placed_at=T0, total_fen=5000)
B = summary("N010", placed_at=T0 + timedelta(hours=1), total_fen=9000)
C = summary("N020", placed_at=T0 + timedelta(hours=1), total_fen=5000)
D = summary("N040", placed_at=T0 - timedelta(days=1), total_fen=100)
ORDERS = [A, B, C, D]


# RULES: ORD-10
def test_default_order_is_newest_first_with_the_number_breaking_ties() -> None:
    assert numbers(run(OrderQuery(), ORDERS, NOW)) == ["N020", "N010", "N030", "N040"]


# RULES: ORD-10
def test_ascending_order_reverses_the_whole_key_including_the_tie_break() -> None:
    got = numbers(run(OrderQuery(descending=False), ORDERS, NOW))
    assert got == ["N040", "N030", "N010", "N020"]


# RULES: ORD-10
def test_order_by_total() -> None:
    assert numbers(run(OrderQuery(order_by="total"), ORDERS, NOW)) == [
        "N010",
        "N030",
        "N020",
        "N040",
    ]
    assert numbers(run(OrderQuery(order_by="total", descending=False), ORDERS, NOW)) == [
        "N040",
        "N020",
        "N030",
        "N010",
    ]


# RULES: ORD-10
def test_ties_compare_instants_not_wall_clocks() -> None:
    # 10:00+08:00 and 02:00Z are one instant: the number decides, not the time zone.
    same = summary("N001", placed_at=(T0 + timedelta(hours=1)).astimezone(UTC))
    got = numbers(run(OrderQuery(), [*ORDERS, same], NOW))
    assert got == ["N020", "N010", "N001", "N030", "N040"]


# RULES: ORD-10
def test_offset_and_limit_cut_the_sorted_matches() -> None:
    assert numbers(run(OrderQuery(limit=2), ORDERS, NOW)) == ["N020", "N010"]
    assert numbers(run(OrderQuery(offset=2, limit=2), ORDERS, NOW)) == ["N030", "N040"]
    assert numbers(run(OrderQuery(offset=3), ORDERS, NOW)) == ["N040"]
    assert numbers(run(OrderQuery(offset=4, limit=2), ORDERS, NOW)) == []
    assert numbers(run(OrderQuery(limit=0), ORDERS, NOW)) == []
    assert numbers(run(OrderQuery(offset=1, limit=1, order_by="total"), ORDERS, NOW)) == ["N030"]


# RULES: ORD-10
def test_paging_applies_after_filtering() -> None:
    q = OrderQuery(total_max=money("50.00"), offset=1, limit=5)
    assert numbers(run(q, ORDERS, NOW)) == ["N030", "N040"]


# RULES: ORD-10
def test_duplicate_order_numbers_are_refused() -> None:
    twin = summary("N010", placed_at=T0 - timedelta(days=9))
    with pytest.raises(InvalidInput) as caught:
        run(OrderQuery(), [*ORDERS, twin], NOW)
    assert "N010" in caught.value.reason
    assert caught.value.rule == "ORD-10"


# RULES: ORD-10
def test_only_summaries_can_be_searched() -> None:
    with pytest.raises(InvalidInput) as caught:
        run(OrderQuery(), [A, {"number": "N1"}], NOW)  # type: ignore[list-item]
    assert caught.value.refused == "summaries"


# RULES: ORD-10
def test_run_accepts_any_iterable_once() -> None:
    assert numbers(run(OrderQuery(limit=1), iter(ORDERS), NOW)) == ["N020"]


# --- properties -----------------------------------------------------------------------


def _sort_key(query: OrderQuery, s: OrderSummary) -> tuple[Any, str]:
    return (s.placed_at if query.order_by == "placed_at" else s.total_fen, s.number)


paging = st.fixed_dictionaries({"order_by": st.sampled_from(ORDER_BY), "descending": st.booleans()})


# RULES: ORD-10
@settings(max_examples=300)
@given(populations(), filters(), paging, st.randoms(use_true_random=False))
def test_run_returns_exactly_the_matches_in_one_order_whatever_the_input_order(
    orders: list[OrderSummary], fields: dict[str, Any], sort: dict[str, Any], rnd: Any
) -> None:
    query = OrderQuery(**fields, **sort)
    got = run(query, orders, NOW)
    # brute-force reference: every order, asked one by one
    expected = {s.number for s in orders if query.matches(s, NOW)}
    assert [s.number for s in got] == sorted(
        expected,
        key=lambda n: _sort_key(query, next(s for s in orders if s.number == n)),
        reverse=query.descending,
    )
    assert len(got) == len(expected)
    # each neighbour pair strictly in order: no ties are left to the input order
    for first, second in itertools.pairwise(got):
        earlier, later = _sort_key(query, first), _sort_key(query, second)
        assert (earlier > later) if query.descending else (earlier < later)
    shuffled = list(orders)
    rnd.shuffle(shuffled)
    assert run(query, shuffled, NOW) == got
    assert run(query, reversed(orders), NOW) == got


# RULES: ORD-10
@settings(max_examples=200)
@given(populations(), filters(), paging, st.integers(1, 5))
def test_paging_through_yields_each_match_exactly_once(
    orders: list[OrderSummary], fields: dict[str, Any], sort: dict[str, Any], size: int
) -> None:
    everything = run(OrderQuery(**fields, **sort), orders, NOW)
    pages: list[OrderSummary] = []
    offset = 0
    while True:
        page = run(OrderQuery(**fields, **sort, offset=offset, limit=size), orders, NOW)
        assert len(page) <= size
        if not page:
            break
        pages.extend(page)
        offset += size
    assert pages == everything
    assert len({s.number for s in pages}) == len(pages)
    assert offset == size * -(-len(everything) // size)  # ceil: no empty page before the end


# RULES: ORD-10
@settings(max_examples=300)
@given(populations(max_size=6), filters())
def test_a_query_matches_exactly_when_each_of_its_fields_does(
    orders: list[OrderSummary], fields: dict[str, Any]
) -> None:
    query = OrderQuery(**fields)
    singles = [attrs.evolve(OrderQuery(), **{name: value}) for name, value in fields.items()]
    # the bounds of a range are separate fields too: each alone must be a valid query
    for s in orders:
        assert query.matches(s, NOW) == all(q.matches(s, NOW) for q in singles)


# RULES: ORD-10
def test_the_property_strategies_produce_hits_and_misses() -> None:
    """Guard against strategies that make every query empty (or total) and the
    properties above vacuous: most drawn queries must select some orders, not all."""
    outcomes: list[bool] = []

    @settings(max_examples=200, derandomize=True, database=None)
    @given(populations(), filters())
    def sample(orders: list[OrderSummary], fields: dict[str, Any]) -> None:
        query = OrderQuery(**fields)
        hits = len(run(query, orders, NOW))
        outcomes.append(0 < hits < len(orders))

    sample()
    assert sum(outcomes) >= len(outcomes) // 8
    # the drawn instants straddle NOW's "last 3 months", so that quick filter can miss
    assert min(MOMENTS) < last_3_months_start(NOW) <= max(MOMENTS)
