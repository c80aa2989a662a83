"""attrs converters with precise types (``converter=tuple`` loses them under mypy)."""

from __future__ import annotations

from collections.abc import Iterable


def frozen(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


def frozen_or_none(values: Iterable[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)

