"""LTD-6: one SKU in two limited-time discounts with overlapping windows is refused."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mallcore.errors import InvalidConfiguration
from mallcore.money import money
from mallcore.promotions.limited_time import (
    LimitedTimeDiscount,
    LimitedTimeItem,
    PriceMode,
    check_no_conflicts,
    conflicts,
)
from mallcore.promotions.window import ALWAYS, Schedule, Window

CST = timezone(timedelta(hours=8))
DAY0 = datetime(2018, 9, 1, 10, 0, tzinfo=CST)


def day(n: int) -> datetime:
    return DAY0 + timedelta(days=n)


def ltd(did: str, window: Schedule, *skus: str) -> LimitedTimeDiscount:
    items = [LimitedTimeItem(s, "p-" + s, PriceMode.DISCOUNT, "8", money("10"), 1, 1)
             for s in skus]
    return LimitedTimeDiscount(did, did, window, items)


# RULES: LTD-6
def test_seed_example_same_red_shoe_in_two_discounts() -> None:
    # 9.5–9.10 and 9.11–9.15: fine; overlapping: refused
    first = ltd("sep-a", Window(day(4), day(9)), "red-shoe")
    later = ltd("sep-b", Window(day(10), day(14)), "red-shoe")
    assert conflicts([first, later]) == []
    check_no_conflicts([first, later])
    clash = ltd("sep-c", Window(day(8), day(12)), "red-shoe", "blue-shoe")
    assert conflicts([first, later, clash]) == [("red-shoe", "sep-a", "sep-c"),
                                                ("red-shoe", "sep-b", "sep-c")]
    with pytest.raises(InvalidConfiguration) as exc:
        check_no_conflicts([first, later, clash])
    assert exc.value.rule == "LTD-6"
    assert exc.value.refused == "limited-time discounts 'sep-a' and 'sep-c'"
    assert "'red-shoe'" in exc.value.reason and "(and 1 more)" in exc.value.reason


# RULES: LTD-6
def test_touching_windows_and_different_skus_do_not_conflict() -> None:
    a = ltd("a", Window(day(0), day(5)), "x")
    assert conflicts([a, ltd("b", Window(day(5), day(9)), "x")]) == []  # half-open
    assert conflicts([a, ltd("c", Window(day(0), day(5)), "y")]) == []
    assert conflicts([a, ltd("d", ALWAYS, "x")]) == [("x", "a", "d")]
    assert conflicts([ltd("d", ALWAYS, "x"), a]) == [("x", "d", "a")]  # input order kept
    assert conflicts([]) == []


# RULES: LTD-6
def test_conflicts_ask_the_windows_themselves() -> None:
    @attrs.frozen
    class Recurring:  # LTD-1's recurring windows decide their own overlaps
        hours: frozenset[int]

        def is_active(self, now: datetime) -> bool:
            return now.hour in self.hours

        def overlaps(self, other: object) -> bool:
            return isinstance(other, Recurring) and bool(self.hours & other.hours)

    morning = ltd("am", Recurring(frozenset({9, 10})), "x")
    evening = ltd("pm", Recurring(frozenset({19, 20})), "x")
    late = ltd("late", Recurring(frozenset({20, 21})), "x")
    assert conflicts([morning, evening, late]) == [("x", "pm", "late")]


# RULES: LTD-6
def test_two_discounts_with_one_id_are_refused() -> None:
    with pytest.raises(InvalidConfiguration, match="share the id 'a'") as exc:
        conflicts([ltd("a", Window(day(0), day(1)), "x"), ltd("a", Window(day(5), day(6)), "y")])
    assert exc.value.rule == "LTD-6"


SPAN = st.tuples(st.integers(min_value=0, max_value=20), st.integers(min_value=1, max_value=6))


@settings(max_examples=200, deadline=None)
@given(specs=st.lists(st.tuples(SPAN, st.sets(st.sampled_from("xyz"), min_size=1)),
                      max_size=5))
# RULES: LTD-6
def test_conflicts_match_a_brute_force_over_days(
    specs: list[tuple[tuple[int, int], set[str]]]
) -> None:
    discounts = [ltd(f"d{i}", Window(day(start), day(start + length)), *sorted(skus))
                 for i, ((start, length), skus) in enumerate(specs)]
    expected = []
    for i, ((s1, l1), skus1) in enumerate(specs):
        days1 = set(range(s1, s1 + l1))
        for j in range(i + 1, len(specs)):
            (s2, l2), skus2 = specs[j]
            if days1 & set(range(s2, s2 + l2)):
                expected += [(sku, f"d{i}", f"d{j}") for sku in skus1 & skus2]
    assert conflicts(discounts) == sorted(expected)  # by SKU, then position (d0 … d4)
