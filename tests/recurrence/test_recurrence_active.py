"""When a recurring window is active, and when it next starts (LTD-1, ACT-3, FS-4)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from mallcore.promotions.recurrence import (
    SHANGHAI,
    Daily,
    Monthly,
    RecurringWindow,
    Weekly,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
NEW_YORK = ZoneInfo("America/New_York")


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
       second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


MAY = (sh(2024, 5, 1), sh(2024, 6, 1))  # 1 May 2024 is a Wednesday


def test_no_recurrence_is_the_plain_half_open_window() -> None:
    # RULES: ACT-3, LTD-1
    window = RecurringWindow(*MAY)
    assert not window.is_active(sh(2024, 4, 30, 23, 59))
    assert window.is_active(sh(2024, 5, 1))
    assert window.is_active(sh(2024, 5, 31, 23, 59, 59))
    assert not window.is_active(sh(2024, 6, 1))
    assert window.next_start(sh(2024, 4, 1)) == sh(2024, 5, 1)
    assert window.next_start(sh(2024, 5, 9)) == sh(2024, 5, 9)
    assert window.next_start(sh(2024, 6, 1)) is None


def test_daily_time_range() -> None:
    # RULES: LTD-1 (每天10点到12点)
    window = RecurringWindow(*MAY, Daily(time(10), time(12)))
    assert not window.is_active(sh(2024, 5, 3, 9, 59, 59))
    assert window.is_active(sh(2024, 5, 3, 10))
    assert window.is_active(sh(2024, 5, 3, 11, 59, 59))
    assert not window.is_active(sh(2024, 5, 3, 12))
    # outside the overall window the recurrence does not apply
    assert not window.is_active(sh(2024, 4, 30, 11))
    assert not window.is_active(sh(2024, 6, 1, 11))
    assert window.is_active(sh(2024, 5, 31, 11))


def test_daily_range_crossing_midnight_ends_the_next_day() -> None:
    # RULES: LTD-1
    window = RecurringWindow(*MAY, Daily(time(22), time(2)))
    assert window.is_active(sh(2024, 5, 3, 23))
    assert window.is_active(sh(2024, 5, 4, 0, 30))
    assert window.is_active(sh(2024, 5, 4, 1, 59))
    assert not window.is_active(sh(2024, 5, 4, 2))
    assert not window.is_active(sh(2024, 5, 4, 21, 59))
    # 30 April's occurrence runs into the window: active for its part inside it
    assert not window.is_active(sh(2024, 4, 30, 23))
    assert window.is_active(sh(2024, 5, 1, 1))
    assert window.occurrences(sh(2024, 4, 30), sh(2024, 5, 2))[0] == (
        sh(2024, 5, 1), sh(2024, 5, 1, 2))
    # the last occurrence is cut at the window's end
    assert window.occurrences(sh(2024, 5, 31), sh(2024, 6, 2)) == [
        (sh(2024, 5, 31, 0), sh(2024, 5, 31, 2)), (sh(2024, 5, 31, 22), sh(2024, 6, 1)),
    ]


def test_start_equal_to_end_is_a_full_day() -> None:
    # RULES: LTD-1
    window = RecurringWindow(*MAY, Monthly(15, time(0), time(0)))
    assert window.occurrences(*MAY) == [(sh(2024, 5, 15), sh(2024, 5, 16))]
    evening = RecurringWindow(*MAY, Weekly(frozenset({SUN}), time(18), time(18)))
    assert evening.is_active(sh(2024, 5, 5, 18))
    assert evening.is_active(sh(2024, 5, 6, 17, 59))
    assert not evening.is_active(sh(2024, 5, 6, 18))


def test_back_to_back_occurrences_are_one_stretch() -> None:
    # RULES: LTD-1
    window = RecurringWindow(*MAY, Daily(time(0), time(0)))
    assert window.occurrences(sh(2024, 4, 1), sh(2024, 7, 1)) == [MAY]
    assert window.next_opening(sh(2024, 4, 1)) == sh(2024, 5, 1)
    assert window.next_opening(sh(2024, 5, 2)) is None  # already under way
    assert window.next_start(sh(2024, 5, 2)) == sh(2024, 5, 2)
    weekend = RecurringWindow(*MAY, Weekly(frozenset({SAT, SUN}), time(0), time(0)))
    assert weekend.occurrences(sh(2024, 5, 1), sh(2024, 5, 13)) == [
        (sh(2024, 5, 4), sh(2024, 5, 6)), (sh(2024, 5, 11), sh(2024, 5, 13)),
    ]


def test_weekly_on_chosen_weekdays() -> None:
    # RULES: LTD-1 (每周x, 可以多选)
    window = RecurringWindow(*MAY, Weekly(frozenset({MON, FRI}), time(10), time(12)))
    assert window.is_active(sh(2024, 5, 3, 11))  # Friday
    assert not window.is_active(sh(2024, 5, 4, 11))  # Saturday
    assert window.is_active(sh(2024, 5, 6, 11))  # Monday
    assert not window.is_active(sh(2024, 5, 7, 11))  # Tuesday
    starts = [s for s, _ in window.occurrences(*MAY)]
    assert [s.day for s in starts] == [3, 6, 10, 13, 17, 20, 24, 27, 31]
    assert {s.weekday() for s in starts} == {MON, FRI}


def test_weekly_crossing_midnight_belongs_to_the_starting_day() -> None:
    # RULES: LTD-1
    window = RecurringWindow(*MAY, Weekly(frozenset({FRI}), time(22), time(2)))
    assert window.is_active(sh(2024, 5, 3, 23))  # Friday night
    assert window.is_active(sh(2024, 5, 4, 1))  # Saturday early: Friday's occurrence
    assert not window.is_active(sh(2024, 5, 3, 1))  # Friday early: Thursday had none
    assert not window.is_active(sh(2024, 5, 4, 23))


def test_monthly_on_day_x() -> None:
    # RULES: LTD-1 (每月x日)
    window = RecurringWindow(sh(2024, 1, 1), sh(2025, 1, 1), Monthly(15, time(10), time(12)))
    starts = [s for s, _ in window.occurrences(sh(2024, 1, 1), sh(2025, 1, 1))]
    assert starts == [sh(2024, month, 15, 10) for month in range(1, 13)]
    assert window.is_active(sh(2024, 7, 15, 11))
    assert not window.is_active(sh(2024, 7, 16, 11))


def test_day_31_skips_short_months_and_is_never_clamped() -> None:
    # RULES: LTD-1 (要记得不是每个月都有31号)
    window = RecurringWindow(sh(2024, 1, 1), sh(2025, 1, 1), Monthly(31, time(10), time(12)))
    starts = [s for s, _ in window.occurrences(sh(2024, 1, 1), sh(2025, 1, 1))]
    assert [s.month for s in starts] == [1, 3, 5, 7, 8, 10, 12]
    assert all(s.day == 31 for s in starts)
    assert not window.is_active(sh(2024, 2, 29, 11))  # not moved to the month's last day
    assert not window.is_active(sh(2024, 4, 30, 11))
    assert not window.is_active(sh(2024, 5, 1, 11))  # nor to the next month's first
    assert window.next_start(sh(2024, 4, 1)) == sh(2024, 5, 31, 10)
    day_30 = RecurringWindow(sh(2023, 1, 1), sh(2025, 1, 1), Monthly(30, time(10), time(12)))
    february = day_30.occurrences(sh(2023, 2, 1), sh(2023, 3, 1))
    assert february == []
    leap = RecurringWindow(sh(2023, 1, 1), sh(2025, 1, 1), Monthly(29, time(10), time(12)))
    assert leap.occurrences(sh(2023, 2, 1), sh(2023, 3, 1)) == []
    assert leap.occurrences(sh(2024, 2, 1), sh(2024, 3, 1)) == [
        (sh(2024, 2, 29, 10), sh(2024, 2, 29, 12))]


def test_monthly_31st_crossing_midnight_runs_into_the_first() -> None:
    # RULES: LTD-1
    window = RecurringWindow(sh(2024, 1, 1), sh(2025, 1, 1), Monthly(31, time(22), time(2)))
    assert window.is_active(sh(2024, 2, 1, 1))
    assert not window.is_active(sh(2024, 3, 1, 1))  # no 29 Feb … nor a 31 Feb
    assert window.is_active(sh(2024, 4, 1, 1))


def test_a_utc_now_is_compared_with_shanghai_wall_times() -> None:
    # RULES: LTD-1
    window = RecurringWindow(*MAY, Daily(time(10), time(12)))
    # 10:00 in Shanghai (UTC+8) is 02:00 UTC
    assert not window.is_active(utc(2024, 5, 3, 1, 59))
    assert window.is_active(utc(2024, 5, 3, 2))
    assert window.is_active(utc(2024, 5, 3, 3, 59))
    assert not window.is_active(utc(2024, 5, 3, 4))
    assert not window.is_active(utc(2024, 5, 3, 10))  # 10:00 UTC is 18:00 in Shanghai
    assert window.next_start(utc(2024, 5, 3, 5)) == utc(2024, 5, 4, 2)
    assert window.next_start(utc(2024, 5, 3, 5)) == sh(2024, 5, 4, 10)
    # the weekday and the month day are Shanghai's, not UTC's: Monday 01:00 in Shanghai
    # is still Sunday in UTC
    monday = RecurringWindow(*MAY, Weekly(frozenset({MON}), time(0), time(4)))
    assert monday.is_active(utc(2024, 5, 5, 17))  # Sunday 17:00 UTC = Monday 01:00 +08
    assert not monday.is_active(utc(2024, 5, 6, 17))
    first = RecurringWindow(*MAY, Monthly(2, time(0), time(4)))
    assert first.is_active(utc(2024, 5, 1, 17))


def test_the_zone_is_explicit() -> None:
    # RULES: LTD-1
    berlin = RecurringWindow(*MAY, Daily(time(10), time(12)), zone="Europe/Berlin")
    assert berlin.is_active(utc(2024, 5, 3, 8))  # 10:00 CEST
    assert not berlin.is_active(utc(2024, 5, 3, 2))  # 10:00 in Shanghai
    assert berlin.next_start(utc(2024, 5, 3, 0)) == utc(2024, 5, 3, 8)


def test_dst_spring_forward_and_fall_back() -> None:
    # RULES: LTD-1 (RFC 5545 / PEP 495 fold=0 resolution)
    spring = (datetime(2024, 3, 8, tzinfo=NEW_YORK), datetime(2024, 3, 13, tzinfo=NEW_YORK))
    # wall-clock 10:00 stays 10:00 across the change: 15:00 UTC before, 14:00 UTC after
    ten = RecurringWindow(*spring, Daily(time(10), time(11)), zone=NEW_YORK)
    assert [s.astimezone(UTC).hour for s, _ in ten.occurrences(*spring)] == [15, 15, 14, 14, 14]
    # 01:00–04:00 on the day 02:00–03:00 does not exist lasts two real hours
    night = RecurringWindow(*spring, Daily(time(1), time(4)), zone=NEW_YORK)
    sunday = night.occurrences(datetime(2024, 3, 10, tzinfo=NEW_YORK),
                               datetime(2024, 3, 11, tzinfo=NEW_YORK))
    assert [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in sunday] == [
        (utc(2024, 3, 10, 6), utc(2024, 3, 10, 8))]
    # a start in the gap moves forward by the gap: 02:30 → 03:30 EDT
    gap = RecurringWindow(*spring, Daily(time(2, 30), time(5)), zone=NEW_YORK)
    assert gap.next_start(datetime(2024, 3, 10, tzinfo=NEW_YORK)) == utc(2024, 3, 10, 7, 30)
    # a range inside the gap moves forward with it: 02:10–02:50 → 03:10–03:50 EDT
    moved = RecurringWindow(*spring, Daily(time(2, 10), time(2, 50)), zone=NEW_YORK)
    assert moved.occurrences(datetime(2024, 3, 10, tzinfo=NEW_YORK),
                             datetime(2024, 3, 11, tzinfo=NEW_YORK)) == [
        (utc(2024, 3, 10, 7, 10), utc(2024, 3, 10, 7, 50))]
    # ... but 02:30–03:00 resolves to 03:30–03:00 EDT: empty, it does not happen that day
    lost = RecurringWindow(*spring, Daily(time(2, 30), time(3)), zone=NEW_YORK)
    assert [s.day for s, _ in lost.occurrences(*spring)] == [8, 9, 11, 12]
    autumn = (datetime(2024, 11, 1, tzinfo=NEW_YORK), datetime(2024, 11, 6, tzinfo=NEW_YORK))
    # 01:30 happens twice on 3 November: the first one (EDT, 05:30 UTC) is meant
    twice = RecurringWindow(*autumn, Daily(time(1, 30), time(1, 45)), zone=NEW_YORK)
    assert twice.is_active(utc(2024, 11, 3, 5, 40))
    assert not twice.is_active(utc(2024, 11, 3, 6, 40))  # the second 01:40, EST
    # 00:00–03:00 that day lasts four real hours
    long = RecurringWindow(*autumn, Daily(time(0), time(3)), zone=NEW_YORK)
    (start, end), = long.occurrences(datetime(2024, 11, 3, tzinfo=NEW_YORK),
                                      datetime(2024, 11, 4, tzinfo=NEW_YORK))
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=4)


def test_next_start_and_next_opening() -> None:
    # RULES: LTD-1, FS-4, ACT-3
    window = RecurringWindow(*MAY, Weekly(frozenset({MON}), time(10), time(12)))
    # before the window: the first Monday's start
    assert window.next_start(sh(2024, 1, 1)) == sh(2024, 5, 6, 10)
    # between occurrences
    assert window.next_start(sh(2024, 5, 6, 12)) == sh(2024, 5, 13, 10)
    # exactly at a start
    assert window.next_start(sh(2024, 5, 13, 10)) == sh(2024, 5, 13, 10)
    assert window.next_opening(sh(2024, 5, 13, 10)) == sh(2024, 5, 13, 10)
    # during an occurrence: next_start is now, next_opening the following one
    assert window.next_start(sh(2024, 5, 13, 11)) == sh(2024, 5, 13, 11)
    assert window.next_opening(sh(2024, 5, 13, 11)) == sh(2024, 5, 20, 10)
    # none left: the last Monday in May 2024 is the 27th
    assert window.next_start(sh(2024, 5, 27, 12)) is None
    assert window.next_opening(sh(2024, 5, 27, 11)) is None
    assert window.next_start(sh(2024, 7, 1)) is None
    # results are in the window's zone, for a now given in any zone
    found = window.next_start(utc(2024, 5, 1))
    assert found is not None
    assert found.tzinfo is SHANGHAI


def test_next_start_when_the_window_opens_inside_an_occurrence() -> None:
    # RULES: LTD-1, ACT-3
    window = RecurringWindow(sh(2024, 5, 1, 11), sh(2024, 5, 9), Daily(time(10), time(12)))
    assert window.next_start(sh(2024, 4, 1)) == sh(2024, 5, 1, 11)
    assert window.next_opening(sh(2024, 4, 1)) == sh(2024, 5, 1, 11)
    assert window.next_start(sh(2024, 5, 1, 11, 30)) == sh(2024, 5, 1, 11, 30)
    assert window.next_opening(sh(2024, 5, 1, 11, 30)) == sh(2024, 5, 2, 10)


def test_occurrences_are_clipped_to_the_range_and_the_window() -> None:
    # RULES: LTD-1
    window = RecurringWindow(*MAY, Daily(time(10), time(12)))
    assert window.occurrences(sh(2024, 5, 2, 11), sh(2024, 5, 3, 10, 30)) == [
        (sh(2024, 5, 2, 11), sh(2024, 5, 2, 12)), (sh(2024, 5, 3, 10), sh(2024, 5, 3, 10, 30)),
    ]
    assert window.occurrences(sh(2024, 5, 2, 12), sh(2024, 5, 3, 10)) == []
    assert window.occurrences(sh(2024, 5, 2, 11), sh(2024, 5, 2, 11)) == []
    assert len(window.occurrences(sh(2000, 1, 1), sh(2100, 1, 1))) == 31


def test_starts_between_lists_the_openings_for_reminders() -> None:
    # RULES: FS-4, LTD-1
    window = RecurringWindow(sh(2024, 5, 1, 11), sh(2024, 6, 1),
                             Weekly(frozenset({WED, THU}), time(10), time(12)))
    # 1 May (Wed) opens with the window at 11:00; then Thursdays and Wednesdays at 10:00
    assert window.starts_between(sh(2024, 4, 1), sh(2024, 5, 9)) == [
        sh(2024, 5, 1, 11), sh(2024, 5, 2, 10), sh(2024, 5, 8, 10)]
    # (after, until]: an opening at ``after`` is left out, one at ``until`` kept
    assert window.starts_between(sh(2024, 5, 2, 10), sh(2024, 5, 8, 10)) == [sh(2024, 5, 8, 10)]
    assert window.starts_between(sh(2024, 5, 2, 11), sh(2024, 5, 2, 11)) == []
    # back-to-back days are one stretch: only its first start is an opening
    nights = RecurringWindow(*MAY, Daily(time(0), time(0)))
    assert nights.starts_between(sh(2024, 4, 1), sh(2024, 7, 1)) == [sh(2024, 5, 1)]
