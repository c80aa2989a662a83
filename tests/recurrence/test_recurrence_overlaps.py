"""Exact overlap of recurring windows, with each other and with plain ones (LTD-6, LTD-1)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from mallcore.errors import InvalidInput
from mallcore.promotions.recurrence import (
    SHANGHAI,
    Daily,
    Monthly,
    RecurringWindow,
    Weekly,
)
from mallcore.promotions.window import ALWAYS, Window

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


MAY = (sh(2024, 5, 1), sh(2024, 6, 1))


def both_ways(first: RecurringWindow, second: RecurringWindow) -> bool:
    answer = first.overlaps(second)
    assert second.overlaps(first) == answer
    return answer


def test_seed_example_disjoint_windows_do_not_overlap() -> None:
    # RULES: LTD-6 (2018.05.29 10:00~06.21 10:00 vs 06.22 10:00~24 10:00: same SKU allowed)
    discount = RecurringWindow(sh(2018, 5, 29, 10), sh(2018, 6, 21, 10))
    flash = Window(sh(2018, 6, 22, 10), sh(2018, 6, 24, 10))
    assert not discount.overlaps(flash)
    assert discount.overlaps(Window(sh(2018, 6, 20, 10), sh(2018, 6, 24, 10)))
    # half-open: touching is not overlapping
    assert not discount.overlaps(Window(sh(2018, 6, 21, 10), sh(2018, 6, 24, 10)))


def test_recurring_against_a_plain_window_is_exact() -> None:
    # RULES: LTD-6, LTD-1
    mornings = RecurringWindow(*MAY, Daily(time(10), time(12)))
    assert not mornings.overlaps(Window(sh(2024, 5, 3, 12), sh(2024, 5, 3, 23)))
    assert mornings.overlaps(Window(sh(2024, 5, 3, 11, 59), sh(2024, 5, 3, 23)))
    assert not mornings.overlaps(Window(sh(2024, 5, 3, 12), sh(2024, 5, 4, 10)))
    assert mornings.overlaps(Window(sh(2024, 5, 3, 12), sh(2024, 5, 4, 10, 1)))
    # unbounded plain windows
    assert mornings.overlaps(ALWAYS)
    assert mornings.overlaps(Window(starts_at=sh(2024, 5, 31, 11)))
    assert not mornings.overlaps(Window(starts_at=sh(2024, 5, 31, 12)))
    assert not mornings.overlaps(Window(ends_at=sh(2024, 5, 1, 10)))
    # a plain window in a month with no 31st, against the 31st of each month
    month_end = RecurringWindow(sh(2024, 1, 1), sh(2025, 1, 1), Monthly(31, time(0), time(0)))
    assert not month_end.overlaps(Window(sh(2024, 4, 1), sh(2024, 5, 31)))
    assert month_end.overlaps(Window(sh(2024, 4, 1), sh(2024, 5, 31, 0, 1)))


def test_recurring_against_recurring_is_exact_and_symmetric() -> None:
    # RULES: LTD-6, LTD-1
    mornings = RecurringWindow(*MAY, Daily(time(10), time(12)))
    noon = RecurringWindow(*MAY, Daily(time(12), time(14)))
    assert not both_ways(mornings, noon)
    assert both_ways(mornings, RecurringWindow(*MAY, Daily(time(11, 59), time(14))))
    # nights crossing midnight against early mornings
    nights = RecurringWindow(*MAY, Daily(time(22), time(2)))
    assert both_ways(nights, RecurringWindow(*MAY, Daily(time(1), time(3))))
    assert not both_ways(nights, RecurringWindow(*MAY, Daily(time(2), time(22))))
    # different weekdays never meet; a Friday night runs into Saturday
    mondays = RecurringWindow(*MAY, Weekly(frozenset({MON}), time(0), time(0)))
    tuesdays = RecurringWindow(*MAY, Weekly(frozenset({TUE}), time(0), time(0)))
    assert not both_ways(mondays, tuesdays)
    friday_nights = RecurringWindow(*MAY, Weekly(frozenset({FRI}), time(22), time(2)))
    saturdays = RecurringWindow(*MAY, Weekly(frozenset({SAT}), time(1), time(3)))
    assert both_ways(friday_nights, saturdays)
    # the 31st against Wednesdays: 31 May 2024 is a Friday, 31 July a Wednesday
    the_31st = RecurringWindow(sh(2024, 5, 1), sh(2024, 8, 1), Monthly(31, time(10), time(12)))
    wednesdays = RecurringWindow(sh(2024, 5, 1), sh(2024, 7, 31),
                                 Weekly(frozenset({WED}), time(0), time(0)))
    assert not both_ways(the_31st, wednesdays)
    longer = RecurringWindow(sh(2024, 5, 1), sh(2024, 8, 1),
                             Weekly(frozenset({WED}), time(0), time(0)))
    assert both_ways(the_31st, longer)


def test_only_the_intersection_of_the_overall_windows_counts() -> None:
    # RULES: LTD-6
    may_mornings = RecurringWindow(*MAY, Daily(time(10), time(12)))
    june_mornings = RecurringWindow(sh(2024, 6, 1), sh(2024, 7, 1), Daily(time(10), time(12)))
    assert not both_ways(may_mornings, june_mornings)
    overlapping_by_an_hour = RecurringWindow(sh(2024, 5, 31, 11), sh(2024, 7, 1),
                                             Daily(time(10), time(12)))
    assert both_ways(may_mornings, overlapping_by_an_hour)
    # windows in different zones meet in real time: 10:00–12:00 Berlin (CEST) is
    # 16:00–18:00 in Shanghai
    berlin = RecurringWindow(*MAY, Daily(time(10), time(12)), zone="Europe/Berlin")
    assert not both_ways(may_mornings, berlin)
    assert both_ways(RecurringWindow(*MAY, Daily(time(17), time(19))), berlin)
    assert berlin.overlaps(Window(datetime(2024, 5, 2, 9, tzinfo=UTC),
                                  datetime(2024, 5, 2, 9, 1, tzinfo=UTC)))


def test_a_plain_window_side_never_misses_an_overlap() -> None:
    # RULES: LTD-6 — Window.overlaps (window.py) may only see the overall bounds: it can
    # refuse more than needed, but never lets a real overlap through
    mornings = RecurringWindow(*MAY, Daily(time(10), time(12)))
    late_morning = Window(sh(2024, 5, 3, 11), sh(2024, 5, 3, 14))
    assert mornings.overlaps(late_morning)
    assert late_morning.overlaps(mornings)
    afternoon = Window(sh(2024, 5, 3, 13), sh(2024, 5, 3, 14))
    assert not mornings.overlaps(afternoon)


def test_overlaps_refuses_a_non_window() -> None:
    # RULES: LTD-6
    with pytest.raises(InvalidInput):
        RecurringWindow(*MAY).overlaps("May")  # type: ignore[arg-type]


def test_a_plain_window_asks_the_recurring_one_so_overlaps_is_exact_both_ways() -> None:
    # RULES: LTD-6 — a plain weekend window and a weekday-only recurrence inside the
    # same week do not overlap, whichever side is asked
    from datetime import datetime, time

    from mallcore.promotions import RecurringWindow, Weekly, Window
    from mallcore.promotions.recurrence import SHANGHAI

    week = RecurringWindow(datetime(2026, 11, 23, tzinfo=SHANGHAI),
                           datetime(2026, 11, 30, tzinfo=SHANGHAI),
                           Weekly(frozenset({0, 1, 2}), time(10), time(12)))
    weekend = Window(datetime(2026, 11, 28, tzinfo=SHANGHAI),
                     datetime(2026, 11, 30, tzinfo=SHANGHAI))
    assert week.overlaps(weekend) is False
    assert weekend.overlaps(week) is False
    monday = Window(datetime(2026, 11, 23, 11, tzinfo=SHANGHAI),
                    datetime(2026, 11, 23, 13, tzinfo=SHANGHAI))
    assert monday.overlaps(week) and week.overlaps(monday)
