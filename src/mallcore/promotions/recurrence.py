"""Recurring validity windows of limited-time discounts (LTD-1, LTD-6, ACT-3).

A ``RecurringWindow`` is an overall window ``[starts_at, ends_at)`` (both required,
both aware) plus an optional recurrence inside it (004 "限时折扣", 按周期重复):

* ``Daily(start, end)`` — every day in a time range (每天重复, "每天10点到12点");
* ``Weekly(weekdays, start, end)`` — on chosen weekdays, Monday = 0 … Sunday = 6
  (``date.weekday()`` numbering), several allowed (每周x, 可以多选);
* ``Monthly(day, start, end)`` — on day ``day`` (1..31) of each month (每月x日).  A month
  without that day is **skipped**, never clamped to its last day ("不是每个月都有31号"):
  ``Monthly(31, …)`` is silent in February, April, June, September and November.  These are
  the ``bymonthday`` semantics of ``dateutil.rrule``, which enumerates the days.

Wall-clock times
    ``start`` and ``end`` are naive ``time`` values read in the window's ``zone``
    (default ``Asia/Shanghai``).  The overall window bounds and every ``now`` are absolute
    instants in any zone; a naive datetime anywhere is refused (``InvalidInput``).
Crossing midnight
    An ``end`` at or before ``start`` ends on the **following** day: ``Daily(22:00, 02:00)``
    runs 22:00 → 02:00 the next morning, ``Weekly({4}, 22:00, 02:00)`` runs Friday 22:00 →
    Saturday 02:00 (the weekday / month day is the day the occurrence *starts*), and
    ``start == end`` is a full 24 hours (``Monthly(15, 00:00, 00:00)`` is all of the 15th).
Daylight saving (for zones that have it; Shanghai has none today)
    Each occurrence is ``[start, end)`` on its dates, each end resolved on its own the way
    RFC 5545 (§3.3.5) and PEP 495 ``fold=0`` do: an ambiguous wall time (clocks set back)
    means its first occurrence; a wall time that does not exist (clocks set forward) is read
    with the offset in force before the jump, i.e. it moves forward by the size of the gap
    (New York, 10 March 2024: 02:30 means 03:30 EDT, so 02:10–02:50 runs 03:10–03:50).  An
    occurrence whose resolved end is not after its resolved start does not happen that day
    (same day: 02:30–03:00 resolves to 03:30–03:00 EDT).
Never inside
    A recurrence none of whose occurrences has a single instant inside the overall window
    is refused at construction (``InvalidConfiguration``, LTD-1, "recurring time invalid";
    the manual's "系统会提示周期重复时间无效").  **Interpretation:** an occurrence that is
    only partly inside counts — it is active for its part inside the window.
Enumeration bound
    Occurrences are generated lazily from ``dateutil.rrule`` between the instants a query
    needs, with a few days' margin for ranges crossing midnight and DST shifts; they never go
    beyond the overall window, which is always finite.  ``is_active`` looks at a few days,
    ``next_start`` / ``next_opening`` walk forward at most to ``ends_at``,
    ``occurrences(start, end)`` and ``starts_between(after, until)`` cover their range, and
    ``overlaps`` at most the intersection of the two overall windows — each linear
    in the number of occurrences in that span.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from dateutil.rrule import (  # type: ignore[import-untyped, unused-ignore]
    DAILY,
    MONTHLY,
    WEEKLY,
    rrule,
)

from mallcore.errors import InvalidConfiguration, InvalidInput
from mallcore.guards import aware, whole
from mallcore.promotions.window import Window

__all__ = [
    "SHANGHAI",
    "WEEKDAY_NAMES",
    "Daily",
    "Monthly",
    "Recurrence",
    "RecurringWindow",
    "Weekly",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
"""The default zone of the recurrence's wall-clock times."""

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
"""Index = weekday number used by ``Weekly`` (Monday = 0, as ``date.weekday()``)."""

_RULE = "LTD-1"
_MARGIN = timedelta(days=3)
"""Days enumerated either side of a query: an occurrence lasts at most 24 wall-clock hours
(it may start the day before) and a DST jump moves it by hours, so three days is ample."""


# --- the three recurrences -----------------------------------------------------------


def _clock(value: object, what: str) -> time:
    if not isinstance(value, time):
        raise InvalidInput(what, f"{value!r} is not a time of day", rule=_RULE)
    if value.tzinfo is not None:
        raise InvalidInput(
            what, f"{value.isoformat()} carries a time zone; the window's zone applies",
            rule=_RULE)
    return value


def _weekdays(value: Iterable[int]) -> frozenset[int]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidInput("weekdays", f"{value!r} is not a set of weekdays", rule=_RULE)
    days = frozenset(whole(day, "weekday", _RULE) for day in value)
    if not days:
        raise InvalidInput("weekdays", "no weekday chosen", rule=_RULE)
    if max(days) > 6:
        raise InvalidInput("weekdays", f"{max(days)} is not a weekday (0 = Monday … 6 = Sunday)",
                           rule=_RULE)
    return days


def _hhmm(value: time) -> str:
    return value.isoformat(timespec="seconds" if value.second or value.microsecond
                           else "minutes")


def _range(start: time, end: time) -> str:
    later = " (next day)" if end <= start else ""
    return f"{_hhmm(start)}–{_hhmm(end)}{later}"


@attrs.frozen
class Daily:
    """Every day from ``start`` to ``end`` (wall clock; ``end <= start`` ends the next day)."""

    start: time
    end: time

    def __attrs_post_init__(self) -> None:
        _clock(self.start, "recurrence start")
        _clock(self.end, "recurrence end")

    def describe(self) -> str:
        return f"every day {_range(self.start, self.end)}"


@attrs.frozen
class Weekly:
    """On each of ``weekdays`` (0 = Monday … 6 = Sunday) from ``start`` to ``end``."""

    weekdays: frozenset[int] = attrs.field(converter=_weekdays)
    start: time
    end: time

    def __attrs_post_init__(self) -> None:
        _clock(self.start, "recurrence start")
        _clock(self.end, "recurrence end")

    def describe(self) -> str:
        days = ", ".join(WEEKDAY_NAMES[day] for day in sorted(self.weekdays))
        return f"every {days} {_range(self.start, self.end)}"


@attrs.frozen
class Monthly:
    """On day ``day`` (1..31) of each month from ``start`` to ``end``; months without it skip."""

    day: int
    start: time
    end: time

    def __attrs_post_init__(self) -> None:
        whole(self.day, "day of month", _RULE, minimum=1)
        if self.day > 31:
            raise InvalidInput("day of month", f"{self.day} is not a day of a month", rule=_RULE)
        _clock(self.start, "recurrence start")
        _clock(self.end, "recurrence end")

    def describe(self) -> str:
        skip = f" (months without day {self.day} are skipped)" if self.day > 28 else ""
        return f"day {self.day} of every month {_range(self.start, self.end)}{skip}"


Recurrence = Daily | Weekly | Monthly


def _days(recurrence: Recurrence, first: date, last: date) -> Iterable[datetime]:
    """The dates (as midnight datetimes) on which an occurrence starts, ``first..last``."""
    dtstart = datetime.combine(first, time())
    until = datetime.combine(last, time())
    days: Iterable[datetime]
    if isinstance(recurrence, Daily):
        days = rrule(DAILY, dtstart=dtstart, until=until)
    elif isinstance(recurrence, Weekly):
        days = rrule(WEEKLY, dtstart=dtstart, until=until,
                     byweekday=tuple(sorted(recurrence.weekdays)))
    else:
        days = rrule(MONTHLY, dtstart=dtstart, until=until, bymonthday=recurrence.day)
    return days


# --- the window ------------------------------------------------------------------------


def _zone(value: str | ZoneInfo) -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    if isinstance(value, str):
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise InvalidInput("time zone", f"{value!r} is not a known time zone",
                               rule=_RULE) from exc
    raise InvalidInput("time zone", f"{value!r} is not a time zone", rule=_RULE)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


Interval = tuple[datetime, datetime]


def _merge(intervals: Iterator[Interval]) -> Iterator[Interval]:
    """Join touching or overlapping intervals given in non-decreasing start order."""
    current: Interval | None = None
    for start, end in intervals:
        if current is not None and start <= current[1]:
            current = (current[0], max(current[1], end))
            continue
        if current is not None:
            yield current
        current = (start, end)
    if current is not None:
        yield current


def _clip(intervals: Iterator[Interval], lo: datetime, hi: datetime) -> Iterator[Interval]:
    for start, end in intervals:
        clipped = (max(start, lo), min(end, hi))
        if clipped[0] < clipped[1]:
            yield clipped


def _any_common(first: Iterator[Interval], second: Iterator[Interval]) -> bool:
    """Whether two sorted lists of disjoint half-open intervals share an instant."""
    a, b = next(first, None), next(second, None)
    while a is not None and b is not None:
        if a[0] < b[1] and b[0] < a[1]:
            return True
        if a[1] <= b[1]:
            a = next(first, None)
        else:
            b = next(second, None)
    return False


@attrs.frozen
class RecurringWindow(Window):
    """A validity window ``[starts_at, ends_at)`` with an optional recurrence inside (LTD-1).

    A ``Window`` (same ``is_active`` / ``overlaps`` / ``describe``), so it goes wherever one
    does.  ``zone`` (a ``ZoneInfo`` or its key) is where the recurrence's wall-clock times
    are read.  Returned datetimes are in ``zone``; they are exact instants, but compare them
    with ``.astimezone(UTC)`` in a DST zone (Python compares two datetimes of the same zone by
    wall clock, which is ambiguous in the hour clocks are set back).
    """

    starts_at: datetime
    ends_at: datetime
    recurrence: Recurrence | None = None
    zone: ZoneInfo = attrs.field(default=SHANGHAI, converter=_zone)

    def __attrs_post_init__(self) -> None:
        aware(self.starts_at, "window start", _RULE)
        aware(self.ends_at, "window end", _RULE)
        if self.ends_at <= self.starts_at:
            raise InvalidConfiguration(
                "window", f"ends {self.ends_at.isoformat()} before it starts", rule="ACT-3")
        if self.recurrence is not None and not isinstance(
                self.recurrence, Daily | Weekly | Monthly):
            raise InvalidInput("recurrence", f"{self.recurrence!r} is not Daily, Weekly or "
                               "Monthly", rule=_RULE)
        start, end = self._bounds()
        if next(self._raw(start, end), None) is None:
            assert self.recurrence is not None  # the whole window is never empty
            raise InvalidConfiguration(
                "recurring window",
                f"recurring time invalid: {self.recurrence.describe()} never falls inside "
                f"{self._span()}", rule=_RULE)

    # -- queries --------------------------------------------------------------------------

    def is_active(self, now: datetime) -> bool:
        """Inside the overall window and (no recurrence, or inside an occurrence)."""
        instant = _utc(aware(now, "now", _RULE))
        return any(start <= instant < end for start, end in self._raw(instant, instant))

    def next_start(self, now: datetime) -> datetime | None:
        """The earliest moment at or after ``now`` when the window is active.

        ``now`` itself (in ``zone``) when active; otherwise the start of the next occurrence
        (clipped to the overall window: ``starts_at`` if that falls inside one); ``None``
        when no active moment is left before ``ends_at``.
        """
        instant = _utc(aware(now, "now", _RULE))
        if self.is_active(instant):
            return instant.astimezone(self.zone)
        return self.next_opening(instant)

    def next_opening(self, now: datetime) -> datetime | None:
        """The first moment at or after ``now`` when the window *becomes* active.

        Unlike ``next_start``, an active stretch already under way at ``now`` is skipped:
        this is the next switch from inactive to active (say, for FS-4 style reminders a
        set time before the start).  Back-to-back occurrences (``Daily(00:00, 00:00)``)
        form one stretch.  ``None`` when none is left before ``ends_at``.
        """
        instant = _utc(aware(now, "now", _RULE))
        for start, _end in _merge(self._raw(instant, self._bounds()[1])):
            if start >= instant:
                return start.astimezone(self.zone)
        return None

    def starts_between(self, after: datetime, until: datetime) -> list[datetime]:
        """Every moment in ``(after, until]`` when the window becomes active, in order.

        The openings ``next_opening`` finds, as a range — what FS-4 reminders count back
        from (``FlashSale`` asks a recurring window for ``starts_between``).  Datetimes are in
        ``zone``; an empty list when ``until`` is not after ``after``.
        """
        lo = _utc(aware(after, "range start", _RULE))
        hi = _utc(aware(until, "range end", _RULE))
        if hi <= lo:
            return []
        return [start.astimezone(self.zone) for start, _end in _merge(self._raw(lo, hi))
                if lo < start <= hi]

    def occurrences(self, start: datetime, end: datetime) -> list[Interval]:
        """The active intervals within ``[start, end)``, sorted, disjoint, half-open.

        Each is an occurrence clipped to the overall window *and* to ``[start, end)`` (so
        the answer is the active time in the range, whatever the range cuts); touching
        occurrences are joined into one interval.  Datetimes are in ``zone``.
        """
        lo = _utc(aware(start, "range start", _RULE))
        hi = _utc(aware(end, "range end", _RULE))
        if hi < lo:
            raise InvalidInput("range", f"ends {end.isoformat()} before it starts", rule=_RULE)
        return [(s.astimezone(self.zone), e.astimezone(self.zone))
                for s, e in self._active(lo, hi)]

    def overlaps(self, other: Window) -> bool:
        """Whether some instant is active in both (LTD-6), exactly.

        Against a plain ``Window`` its bounds are an interval; against another
        ``RecurringWindow`` both recurrences are honoured.  Only the intersection of the
        two overall windows is enumerated.  (A plain ``Window.overlaps`` given a recurring
        window compares overall bounds only — call this side for the exact answer.)
        """
        if not isinstance(other, Window):
            raise InvalidInput("window", f"{other!r} is not a Window", rule="LTD-6")
        lo, hi = self._bounds()
        if other.starts_at is not None:
            lo = max(lo, _utc(other.starts_at))
        if other.ends_at is not None:
            hi = min(hi, _utc(other.ends_at))
        if hi <= lo:
            return False
        mine = self._active(lo, hi)
        if isinstance(other, RecurringWindow):
            return _any_common(mine, other._active(lo, hi))
        return next(mine, None) is not None

    def describe(self) -> str:
        text = self._span()
        return text if self.recurrence is None else f"{text}, {self.recurrence.describe()}"

    # -- internals ------------------------------------------------------------------------

    def _span(self) -> str:
        def show(value: datetime) -> str:
            local = value.astimezone(self.zone)
            spec = "seconds" if local.second or local.microsecond else "minutes"
            return local.replace(tzinfo=None).isoformat(sep=" ", timespec=spec)

        return f"{show(self.starts_at)} – {show(self.ends_at)} ({self.zone.key})"

    def _bounds(self) -> Interval:
        return _utc(self.starts_at), _utc(self.ends_at)

    def _instant(self, day: date, clock: time) -> datetime:
        """Wall-clock ``clock`` on ``day`` in ``zone`` as UTC (RFC 5545: fold=0)."""
        return datetime.combine(day, clock, tzinfo=self.zone).replace(fold=0).astimezone(UTC)

    def _active(self, lo: datetime, hi: datetime) -> Iterator[Interval]:
        """The active set within ``[lo, hi)`` (UTC) as sorted disjoint intervals."""
        return _clip(_merge(self._raw(lo, hi)), lo, hi)

    def _raw(self, lo: datetime, hi: datetime) -> Iterator[Interval]:
        """Occurrences (UTC, clipped to the overall window) with ``end >= lo``, ``start <= hi``.

        Starts never decrease (the same wall time on later days never resolves earlier), so
        the walk stops at the first start past ``hi``.  Touching occurrences are kept so
        that callers can join them.
        """
        window_start, window_end = self._bounds()
        lo, hi = max(lo, window_start), min(hi, window_end)
        if hi < lo:
            return
        recurrence = self.recurrence
        if recurrence is None:
            yield window_start, window_end
            return
        first = lo.astimezone(self.zone).date() - _MARGIN
        last = hi.astimezone(self.zone).date() + _MARGIN
        span = timedelta(days=1) if recurrence.end <= recurrence.start else timedelta()
        for midnight in _days(recurrence, first, last):
            day = midnight.date()
            start = self._instant(day, recurrence.start)
            end = self._instant(day + span, recurrence.end)
            if end <= start:  # emptied by a DST gap: no occurrence that day
                continue
            start, end = max(start, window_start), min(end, window_end)
            if start > hi:
                return
            if start < end and end >= lo:
                yield start, end
