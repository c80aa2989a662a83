"""Configuration checks for pre-sales (PRE-4, PIPE-5), run when a merchant saves.

PRE-4: only one pre-sale may be in progress at a time, so two pre-sales whose
windows overlap are refused (``validate_presales``, ``validate_new_presale``);
``check_single_in_progress`` finds the one in progress and catches data that
slipped past.  PIPE-5: a pre-sale SKU combines with no other activity price
(flash sale, limited-time discount, group buy, another pre-sale) while the
windows overlap (``check_exclusive_skus``).  The pricing pipeline never refuses
a cart for a bad configuration: two rules on one line resolve to the lower price.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from mallcore.errors import InvalidConfiguration
from mallcore.guards import aware
from mallcore.promotions.conflicts import SkuCampaign, validate_campaigns
from mallcore.promotions.presale import KIND, PreSale

__all__ = [
    "SkuCampaign",
    "check_exclusive_skus",
    "check_single_in_progress",
    "validate_new_presale",
    "validate_presales",
]


def _clash(first: SkuCampaign, second: SkuCampaign, reason: str, rule: str) -> None:
    a, b = sorted((first, second), key=lambda c: c.id)
    raise InvalidConfiguration(f"{a.kind} {a.id!r} and {b.kind} {b.id!r}", reason, rule=rule)


def validate_presales(presales: Iterable[PreSale]) -> None:
    """PRE-4: refuse two pre-sales whose windows overlap: both would be in progress
    at once.  Run when the merchant saves; ids must be unique."""
    validate_campaigns(presales)


def validate_new_presale(candidate: PreSale, existing: Iterable[PreSale]) -> None:
    """PRE-4: refuse saving ``candidate`` when its window overlaps another pre-sale's
    (one with the same id is the version being replaced and is ignored)."""
    for other in sorted(existing, key=lambda p: p.id):
        if other.id != candidate.id and candidate.window.overlaps(other.window):
            _clash(
                candidate,
                other,
                "windows overlap; only one pre-sale may be in progress at a time",
                "PRE-4",
            )


def check_single_in_progress(presales: Iterable[PreSale], now: datetime) -> PreSale | None:
    """PRE-4 at run time: the pre-sale in progress at ``now`` (None if none); two in
    progress at once is refused, naming both."""
    aware(now, "now", "PRE-4")
    active = sorted((p for p in presales if p.window.is_active(now)), key=lambda p: p.id)
    if len(active) > 1:
        _clash(
            active[0],
            active[1],
            f"both in progress at {now.isoformat()}; only one "
            "pre-sale may be in progress at a time",
            "PRE-4",
        )
    return active[0] if active else None


def check_exclusive_skus(presale: PreSale, others: Iterable[SkuCampaign]) -> None:
    """PIPE-5: refuse a pre-sale SKU that a flash sale, limited-time discount, group buy
    or another pre-sale also sells while the windows overlap.  Spend-X activities,
    free shipping and gift coupons are not ``SkuCampaign``s: they combine."""
    rivals = [c for c in others
              if not (c.kind == KIND and c.id == presale.id)  # the version it replaces
              and c.skus & presale.skus]
    validate_campaigns([presale, *rivals], involving=presale.id)
