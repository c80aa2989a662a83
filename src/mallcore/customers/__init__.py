"""Customers, membership levels, experience and points (MEM, PTS, CUS rules)."""

from __future__ import annotations

from mallcore.customers.customer import Customer, CustomerBook
from mallcore.customers.membership import (
    DEFAULT_LEVEL,
    DEFAULT_LEVEL_ID,
    Level,
    LevelLadder,
    experience_for,
)
from mallcore.customers.points import (
    EntryKind,
    LedgerEntry,
    PointsAccount,
    PointsDeduction,
    PointsPolicy,
    earned_points,
    expiry_of,
)

__all__ = [
    "DEFAULT_LEVEL",
    "DEFAULT_LEVEL_ID",
    "Customer",
    "CustomerBook",
    "EntryKind",
    "LedgerEntry",
    "Level",
    "LevelLadder",
    "PointsAccount",
    "PointsDeduction",
    "PointsPolicy",
    "earned_points",
    "experience_for",
    "expiry_of",
]
