"""Argument guards shared by the customers package.

Refusing at the door, with the rule id, is what lets every method promise that
nothing is half-applied: all checks run before the first mutation.
"""

from __future__ import annotations

from datetime import datetime

from mallcore.errors import InvalidInput, MallcoreError


def aware(value: object, what: str, rule: str) -> datetime:
    """A timezone-aware datetime; naive ones are ambiguous around expiry boundaries."""
    if not isinstance(value, datetime):
        raise InvalidInput(
            what, f"{type(value).__name__} given where a datetime is expected", rule=rule
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            what, f"{value.isoformat()} has no time zone; give an aware datetime", rule=rule
        )
    return value


def whole(
    value: object,
    what: str,
    rule: str,
    *,
    minimum: int = 0,
    error: type[MallcoreError] = InvalidInput,
) -> int:
    """An int (never a bool or float) not below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(what, f"{value!r} is not a whole number", rule=rule)
    if value < minimum:
        raise error(what, f"{value} is below the minimum of {minimum}", rule=rule)
    return value


def text(value: object, what: str, rule: str, *, error: type[MallcoreError] = InvalidInput) -> str:
    """Non-blank text (ids, names, reasons)."""
    if not isinstance(value, str) or not value.strip():
        raise error(what, f"{value!r} is not non-empty text", rule=rule)
    return value


def optional_text(value: object, what: str, rule: str) -> str | None:
    return None if value is None else text(value, what, rule)
