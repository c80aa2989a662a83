"""Argument guards shared by every aggregate: refuse at the door, with the rule id.

Checking everything before the first change is what lets each method promise
that nothing is half-applied.  One home for these, so "a whole number" or "an
aware datetime" means the same thing everywhere.
"""

from __future__ import annotations

from datetime import datetime

from mallcore.errors import InvalidInput, MallcoreError


def identifier(
    value: object, what: str, rule: str | None, *, error: type[MallcoreError] = InvalidInput
) -> str:
    """Non-blank text without surrounding spaces: "A1" and "A1 " must not be two ids."""
    if not isinstance(value, str) or not value.strip():
        raise error(what, f"{value!r} is not a non-blank text", rule=rule)
    if value != value.strip():
        raise error(what, f"{value!r} has leading or trailing spaces", rule=rule)
    return value


def text(
    value: object, what: str, rule: str | None, *, error: type[MallcoreError] = InvalidInput
) -> str:
    """Non-blank text (names, reasons)."""
    if not isinstance(value, str) or not value.strip():
        raise error(what, f"{value!r} is not non-empty text", rule=rule)
    return value


def optional_text(value: object, what: str, rule: str | None) -> str | None:
    return None if value is None else text(value, what, rule)


def whole(
    value: object, what: str, rule: str | None, *, minimum: int | None = 0,
    error: type[MallcoreError] = InvalidInput,
) -> int:
    """An int, never a bool, float or text (``True`` is not one unit), not below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(what, f"{value!r} is not a whole number", rule=rule)
    if minimum is not None and value < minimum:
        reason = f"{value} is negative" if minimum == 0 else (
            f"{value} is below the minimum of {minimum}")
        raise error(what, reason, rule=rule)
    return value


def aware(value: object, what: str = "now", rule: str | None = None) -> datetime:
    """A datetime with a time zone: a naive one is ambiguous by up to a day in China."""
    if not isinstance(value, datetime):
        raise InvalidInput(what, f"{value!r} is not a datetime", rule=rule)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(what, f"{value.isoformat()} has no time zone", rule=rule)
    return value
