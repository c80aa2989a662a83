"""Recurring windows against a brute-force, minute-by-minute reference (LTD-1, LTD-6, ACT-3).

Every bound and wall-clock time generated here is a whole minute, and the zones used have
whole-hour offsets, so activity is constant within each minute: a scan of minutes is an
exact picture of the active set.

The reference is written without the module's machinery (no rrule, no merging, no
clipping): for each minute it checks the overall window, then the recurrence by plain
datetime arithmetic.  In Shanghai (no DST) it reads the wall clock: the minute is active
when its local time lies in ``[start, end)`` on a chosen day (or, for a range crossing
midnight, after ``start`` on a chosen day or before ``end`` the day after one).  In zones
with DST it resolves each candidate day's start and end with ``datetime.combine(...,
tzinfo=zone)`` (RFC 5545 / PEP 495 fold=0) and compares instants.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mallcore.errors import InvalidConfiguration
from mallcore.promotions.recurrence import (
    SHANGHAI,
    Daily,
    Monthly,
    Recurrence,
    RecurringWindow,
    Weekly,
)
from mallcore.promotions.window import Window

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
MARGIN = 60  # minutes scanned either side of a window
SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

DST_ZONES = {
    "America/New_York": [date(2024, 3, 10), date(2024, 11, 3), date(2025, 3, 9)],
    "Europe/Berlin": [date(2024, 3, 31), date(2024, 10, 27), date(2025, 3, 30)],
}


# --- the reference --------------------------------------------------------------------


def _chosen(recurrence: Recurrence, day: date) -> bool:
    if isinstance(recurrence, Daily):
        return True
    if isinstance(recurrence, Weekly):
        return day.weekday() in recurrence.weekdays
    return day.day == recurrence.day


def _wall_clock(recurrence: Recurrence, local: datetime) -> bool:
    """No DST: the local wall-clock reading decides."""
    clock, today = local.time(), local.date()
    if recurrence.start < recurrence.end:
        return _chosen(recurrence, today) and recurrence.start <= clock < recurrence.end
    return (_chosen(recurrence, today) and clock >= recurrence.start) or (
        _chosen(recurrence, today - DAY) and clock < recurrence.end)


def _resolved(recurrence: Recurrence, zone: ZoneInfo, instant: datetime) -> bool:
    """DST: resolve each nearby chosen day's occurrence to instants and compare."""
    today = instant.astimezone(zone).date()
    for back in range(-1, 3):
        day = today - back * DAY
        if not _chosen(recurrence, day):
            continue
        end_day = day + DAY if recurrence.end <= recurrence.start else day
        start = datetime.combine(day, recurrence.start, tzinfo=zone).astimezone(UTC)
        end = datetime.combine(end_day, recurrence.end, tzinfo=zone).astimezone(UTC)
        if start <= instant < end:
            return True
    return False


def reference(window: Window, instant: datetime, recurrence: Recurrence | None = None,
              zone: ZoneInfo = SHANGHAI) -> bool:
    """Whether ``instant`` (UTC) is active: bounds first, then the recurrence."""
    if window.starts_at is not None and instant < window.starts_at.astimezone(UTC):
        return False
    if window.ends_at is not None and instant >= window.ends_at.astimezone(UTC):
        return False
    if recurrence is None:
        return True
    if zone.key == "Asia/Shanghai":
        return _wall_clock(recurrence, instant.astimezone(zone))
    return _resolved(recurrence, zone, instant)


def minutes(lo: datetime, hi: datetime) -> list[datetime]:
    count = (hi - lo) // MINUTE
    return [lo + i * MINUTE for i in range(count)]


def scan(spec: Spec, grid: list[datetime]) -> list[bool]:
    bounds = Window(spec.starts_at, spec.ends_at)
    return [reference(bounds, t, spec.recurrence, spec.zone) for t in grid]


def flags_from(intervals: list[tuple[datetime, datetime]], grid: list[datetime]) -> list[bool]:
    spans = [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in intervals]
    return [any(s <= t < e for s, e in spans) for t in grid]


# --- generating windows ---------------------------------------------------------------


class Spec:
    """The raw settings of a window; ``build()`` may refuse them."""

    def __init__(self, starts_at: datetime, ends_at: datetime,
                 recurrence: Recurrence | None, zone: ZoneInfo) -> None:
        self.starts_at, self.ends_at = starts_at, ends_at
        self.recurrence, self.zone = recurrence, zone

    def build(self) -> RecurringWindow | None:
        try:
            return RecurringWindow(self.starts_at, self.ends_at, self.recurrence, self.zone)
        except InvalidConfiguration:
            return None

    def __repr__(self) -> str:
        return (f"Spec({self.starts_at.isoformat()}, {self.ends_at.isoformat()}, "
                f"{self.recurrence!r}, {self.zone.key})")


@st.composite
def clocks(draw: st.DrawFn, near_dst: bool) -> time:
    hour = draw(st.integers(0, 4) if near_dst and draw(st.booleans()) else st.integers(0, 23))
    return time(hour, draw(st.sampled_from([0, 0, 30]) | st.integers(0, 59)))


@st.composite
def recurrences(draw: st.DrawFn, first_day: date, near_dst: bool) -> Recurrence | None:
    kind = draw(st.sampled_from(["monthly", "daily", "weekly", "none"]))
    start = draw(clocks(near_dst))
    end = draw(st.just(start) | clocks(near_dst)) if draw(st.integers(0, 9)) == 9 else draw(
        clocks(near_dst))
    if kind == "none":
        return None
    if kind == "daily":
        return Daily(start, end)
    if kind == "weekly":
        days = draw(st.frozensets(st.integers(0, 6), min_size=1, max_size=3))
        if draw(st.integers(0, 3)) != 3:  # mostly include the window's first weekday
            days |= {first_day.weekday()}
        return Weekly(days, start, end)
    # mostly a day near the window (including 29–31 around short months), sometimes any
    near = draw(st.sampled_from([1, 0, 2, -1]))
    day = draw(st.sampled_from([28, 29, 30, 31]) | st.integers(1, 31)) if draw(
        st.integers(0, 3)) == 3 else min(31, max(1, first_day.day + near))
    return Monthly(day, start, end)


@st.composite
def specs(draw: st.DrawFn, *, max_days: int = 2, around: datetime | None = None) -> Spec:
    zone_key = draw(st.sampled_from(["Asia/Shanghai"] * 3 + sorted(DST_ZONES)))
    zone = ZoneInfo(zone_key)
    near_dst = zone_key in DST_ZONES
    if around is not None:
        starts_at = around + draw(st.integers(-2 * 1440, 2 * 1440)) * MINUTE
    else:
        if near_dst:
            base = draw(st.sampled_from(DST_ZONES[zone_key])) + draw(st.integers(-2, 1)) * DAY
        else:
            base = draw(st.dates(date(2023, 1, 1), date(2026, 12, 31)))
        midnight = datetime.combine(base, time(), tzinfo=zone).astimezone(UTC)
        starts_at = midnight + draw(st.integers(0, 1439)) * MINUTE
    # mostly a day or more (hypothesis favours small integers: ask for long ones)
    longest = max_days * 1440
    length = draw(st.integers(1, 360) if draw(st.integers(0, 4)) == 4
                  else st.integers(1440, longest) | st.integers(360, longest))
    ends_at = starts_at + length * MINUTE
    recurrence = draw(recurrences(starts_at.astimezone(zone).date(), near_dst))
    return Spec(starts_at.astimezone(zone), ends_at.astimezone(zone), recurrence, zone)


def grid_for(*windows: Spec) -> list[datetime]:
    lo = min(w.starts_at for w in windows).astimezone(UTC) - MARGIN * MINUTE
    hi = max(w.ends_at for w in windows).astimezone(UTC) + MARGIN * MINUTE
    return minutes(lo, hi)


# --- properties -----------------------------------------------------------------------


@SETTINGS
@given(spec=specs())
def test_is_active_matches_the_minute_reference(spec: Spec) -> None:
    # RULES: LTD-1, ACT-3
    grid = grid_for(spec)
    expected = scan(spec, grid)
    window = spec.build()
    event(f"{type(spec.recurrence).__name__} {spec.zone.key} built={window is not None}")
    if window is None:  # refused exactly when the recurrence never falls inside
        assert not any(expected)
        return
    assert any(expected)
    assert [window.is_active(t) for t in grid] == expected
    assert flags_from(window.occurrences(grid[0], grid[-1] + MINUTE), grid) == expected
    # a now in another zone reads the same
    probe = grid[len(grid) // 2]
    assert window.is_active(probe.astimezone(SHANGHAI)) == window.is_active(
        probe.astimezone(ZoneInfo("America/Los_Angeles")))


@SETTINGS
@given(spec=specs(max_days=3), picks=st.lists(st.floats(0, 1), min_size=1, max_size=6))
def test_next_start_is_the_first_active_minute(spec: Spec, picks: list[float]) -> None:
    # RULES: LTD-1, FS-4 — next_start, next_opening and starts_between against the scan
    window = spec.build()
    if window is None:
        return
    grid = grid_for(spec)
    expected = scan(spec, grid)
    for pick in picks:
        here = min(len(grid) - 1, int(pick * len(grid)))
        now = grid[here]
        found = window.next_start(now)
        first = next((i for i in range(here, len(grid)) if expected[i]), None)
        if first is None:
            assert found is None
            continue
        assert found is not None
        assert found.astimezone(UTC) == grid[first]
        assert window.is_active(found)
        assert not any(window.is_active(t) for t in grid[here:first][::7])
        opening = window.next_opening(now)
        becomes = next((i for i in range(max(here, 1), len(grid))
                        if expected[i] and not expected[i - 1]), None)
        assert (opening.astimezone(UTC) if opening else None) == (
            grid[becomes] if becomes is not None else None)
    openings = [t for i, t in enumerate(grid) if i and expected[i] and not expected[i - 1]]
    assert [s.astimezone(UTC) for s in window.starts_between(grid[0], grid[-1])] == openings


Pair = tuple[Spec, Spec | Window]


@st.composite
def pairs(draw: st.DrawFn) -> Pair:
    first = draw(specs())
    if draw(st.sampled_from(["recurring", "plain"])) == "recurring":
        return first, draw(specs(around=first.starts_at.astimezone(UTC)))
    start = first.starts_at.astimezone(UTC) + draw(st.integers(-1440, 2 * 1440)) * MINUTE
    end = start + draw(st.integers(1, 2 * 1440)) * MINUTE
    shape = draw(st.sampled_from(["bounded", "bounded", "from", "until"]))
    return first, Window(None if shape == "until" else start, None if shape == "from" else end)


def _flags(side: Spec | Window, grid: list[datetime]) -> list[bool]:
    return scan(side, grid) if isinstance(side, Spec) else [reference(side, t) for t in grid]


@SETTINGS
@given(pair=pairs())
def test_overlaps_matches_the_minute_reference_and_is_symmetric(pair: Pair) -> None:
    # RULES: LTD-6, LTD-1
    spec, other_spec = pair
    first = spec.build()
    other = other_spec.build() if isinstance(other_spec, Spec) else other_spec
    event(f"built={first is not None and other is not None} {type(other).__name__}")
    if first is None or other is None:
        return
    grid = grid_for(spec, *([other_spec] if isinstance(other_spec, Spec) else []))
    both = [a and b for a, b in zip(_flags(spec, grid), _flags(other_spec, grid), strict=True)]
    expected = any(both)
    assert first.overlaps(other) == expected
    if isinstance(other, RecurringWindow):
        assert other.overlaps(first) == expected
    elif expected:  # a plain Window only sees bounds: it may over-refuse, never miss
        assert other.overlaps(first)
    assert first.overlaps(first)


def test_reference_agrees_with_itself_in_shanghai() -> None:
    # RULES: LTD-1 — the wall-clock and the resolved readings coincide without DST
    recurrences: list[Recurrence] = [
        Daily(time(22), time(2)),
        Weekly(frozenset({0, 4}), time(23, 30), time(23, 30)),
        Monthly(31, time(0), time(1)),
    ]
    lo = datetime(2024, 1, 29, tzinfo=UTC)
    for recurrence in recurrences:
        for instant in minutes(lo, lo + 4 * DAY)[::7]:
            assert _wall_clock(recurrence, instant.astimezone(SHANGHAI)) == _resolved(
                recurrence, SHANGHAI, instant)
