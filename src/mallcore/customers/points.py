"""Points: earning (PTS-1), spending at checkout (PTS-2), expiry (PTS-3), ledger (PTS-4).

``PointsPolicy.deduction`` is the one place the PTS-2 arithmetic lives; pricing
stage 4 calls it and nothing else re-derives it.  ``PointsAccount`` keeps a
customer's points as earned lots so expiry (per lot) and FIFO spending are exact,
and records every change as a ledger entry with its reason.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import attrs

from mallcore.errors import InvalidConfiguration, InvalidInput, LimitReached, NotFound
from mallcore.guards import aware, text, whole

__all__ = [
    "EntryKind",
    "LedgerEntry",
    "PointsAccount",
    "PointsDeduction",
    "PointsPolicy",
    "earned_points",
    "expiry_of",
]

_FEN_PER_YUAN = 100


def earned_points(list_price_fen: int, quantity: int, coefficient: Decimal) -> int:
    """Points a line earns (PTS-1): list price × quantity × coefficient, fractions dropped.

    The coefficient is points per yuan of *list* (original) price, never of the
    amount paid, so discounts do not shrink the reward.  This is the default
    rule; a SKU's own points setting (CAT-3) overrides it upstream.  The fraction
    is dropped on the line total (12.50 × 2 at 1/yuan earns 25, not 24).
    """
    whole(list_price_fen, "list price (fen)", "PTS-1")
    whole(quantity, "quantity", "PTS-1", minimum=1)
    if not isinstance(coefficient, Decimal) or not coefficient.is_finite():
        raise InvalidInput(
            "points coefficient", f"{coefficient!r} is not a finite Decimal", rule="PTS-1"
        )
    if coefficient < 0:
        raise InvalidInput("points coefficient", f"{coefficient} is negative", rule="PTS-1")
    numerator, denominator = coefficient.as_integer_ratio()
    return list_price_fen * quantity * numerator // (denominator * _FEN_PER_YUAN)


@attrs.frozen
class PointsDeduction:
    """What stage 4 takes off: ``points`` spent for ``fen`` (whole yuan).

    ``capped_by`` names the limit that bound the amount, for the explanation:
    "requested" (the buyer's own choice, named first on a tie), "balance",
    "cap" (the merchant's percentage) or "amount" (the order itself, when the
    cap is 100%).  ``None`` when the policy is disabled: no limit was in play.
    """

    points: int
    fen: int
    capped_by: str | None

    @property
    def yuan(self) -> int:
        return self.fen // _FEN_PER_YUAN


@attrs.frozen
class PointsPolicy:
    """The merchant's points settings (PTS-2, PTS-3).

    ``points_per_yuan`` is the exchange rate: how many points pay 1.00 ("1 point
    = 1.00" is 1, "100 points = 1.00" is 100).  ``cap_percent`` is the most of the
    order amount points may pay.
    """

    enabled: bool = True
    points_per_yuan: int = 1
    cap_percent: int = 100
    expiry_enabled: bool = True

    def __attrs_post_init__(self) -> None:
        for name in ("enabled", "expiry_enabled"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidConfiguration(
                    f"points policy {name}", f"{getattr(self, name)!r} is not a bool", rule="PTS-2"
                )
        whole(
            self.points_per_yuan, "points per yuan", "PTS-2", minimum=1, error=InvalidConfiguration
        )
        whole(self.cap_percent, "points cap percent", "PTS-2", error=InvalidConfiguration)
        if self.cap_percent > 100:
            raise InvalidConfiguration(
                "points cap percent",
                f"{self.cap_percent}% would let points pay more than the order",
                rule="PTS-2",
            )

    def deduction(self, amount_fen: int, requested_points: int, balance: int) -> PointsDeduction:
        """The points deduction on an order amount (PTS-2).

        The money value is whole yuan, fractions dropped (9.8 → 9): the least of
        the cap on ``amount_fen``, the requested points and the balance, each
        converted to whole yuan.  Asking for more than the balance is not an
        error: the buyer gets what the balance allows.
        """
        whole(amount_fen, "order amount (fen)", "PTS-2")
        whole(requested_points, "requested points", "PTS-2")
        whole(balance, "points balance", "PTS-4")
        if not self.enabled:
            return PointsDeduction(points=0, fen=0, capped_by=None)
        rate = self.points_per_yuan
        order_limit = "amount" if self.cap_percent == 100 else "cap"
        limits = (
            ("requested", requested_points // rate),
            ("balance", balance // rate),
            (order_limit, amount_fen * self.cap_percent // (100 * _FEN_PER_YUAN)),
        )
        name, yuan = min(limits, key=lambda limit: limit[1])  # first of equals wins
        return PointsDeduction(points=yuan * rate, fen=yuan * _FEN_PER_YUAN, capped_by=name)


def expiry_of(earned_at: datetime) -> datetime:
    """When points earned at ``earned_at`` expire: 23:59:59 on 31 Dec of the next year (PTS-3).

    The year and the wall-clock time are read in ``earned_at``'s own time zone.
    """
    aware(earned_at, "earned at", "PTS-3")
    try:
        return earned_at.replace(
            year=earned_at.year + 1,
            month=12,
            day=31,
            hour=23,
            minute=59,
            second=59,
            microsecond=0,
            fold=0,
        )
    except ValueError as exc:
        raise InvalidInput(
            "earned at", f"{earned_at.isoformat()} is too late", rule="PTS-3"
        ) from exc


class EntryKind(StrEnum):
    EARN = "earn"
    SPEND = "spend"
    REFUND = "refund"  # spent points given back (AS-7)
    REVOKE = "revoke"  # earned points taken back (AS-7)
    EXPIRE = "expire"  # PTS-3


@attrs.frozen
class LedgerEntry:
    """One change to a balance (PTS-4); ``points`` is signed, ``balance_after`` the result."""

    kind: EntryKind
    points: int
    reason: str
    at: datetime
    ref: str | None
    balance_after: int


@attrs.define
class _Lot:
    """Points earned together: they expire together."""

    earned_at: datetime
    expires_at: datetime | None
    ref: str | None
    remaining: int


@attrs.define
class _Take:
    """Points a spend took from a lot; a refund puts them back there."""

    lot: _Lot
    points: int


class PointsAccount:
    """One customer's points: earned lots, spent oldest first, and a ledger (PTS-3, PTS-4).

    Every method checks everything before changing anything.  Time only moves
    forward: ``now`` before the last entry is refused, which keeps the ledger
    chronological.  Expired lots are settled (recorded as "expire" entries)
    before any other change, so expired points can never be spent.
    """

    def __init__(self, customer_id: str, *, expiry_enabled: bool = True) -> None:
        self.customer_id = text(customer_id, "customer id", "PTS-4")
        if not isinstance(expiry_enabled, bool):
            raise InvalidConfiguration(
                "points expiry_enabled", f"{expiry_enabled!r} is not a bool", rule="PTS-3"
            )
        self.expiry_enabled = expiry_enabled
        self._entries: list[LedgerEntry] = []
        self._lots: list[_Lot] = []
        self._takes: dict[str, list[_Take]] = {}  # ref -> points spent, not yet refunded
        self._revocable: dict[str, int] = {}  # ref -> points earned, not yet revoked

    @property
    def entries(self) -> tuple[LedgerEntry, ...]:
        return tuple(self._entries)

    def balance(self, now: datetime) -> int:
        """Points usable at ``now``: recorded balance minus lots whose expiry has passed."""
        now = self._now(now)
        return sum(lot.remaining for lot in self._lots if self._lapsed_at(lot, now) is None)

    def earn(
        self, points: int, reason: str, now: datetime, *, ref: str | None = None
    ) -> LedgerEntry:
        """Add a lot of points expiring per PTS-3; ``ref`` (the order) makes them revocable."""
        points, reason, now = self._change(points, reason, now)
        ref = self._optional_ref(ref)
        expires = expiry_of(now) if self.expiry_enabled else None
        self._settle(now)
        self._lots.append(_Lot(earned_at=now, expires_at=expires, ref=ref, remaining=points))
        if ref is not None:
            self._revocable[ref] = self._revocable.get(ref, 0) + points
        return self._record(EntryKind.EARN, points, reason, now, ref)

    def spend(
        self, points: int, reason: str, now: datetime, *, ref: str | None = None
    ) -> LedgerEntry:
        """Spend points, oldest lots first; more than the balance raises LimitReached."""
        points, reason, now = self._change(points, reason, now)
        ref = self._optional_ref(ref)
        available = self.balance(now)
        if points > available:
            raise LimitReached(
                f"spending {points} points",
                f"the balance is {available}; points never go negative",
                rule="PTS-4",
            )
        self._settle(now)
        takes = self._takes.setdefault(ref, []) if ref is not None else []
        left = points
        for lot in self._lots:
            taken = min(lot.remaining, left)
            if taken:
                lot.remaining -= taken
                takes.append(_Take(lot, taken))
                left -= taken
        return self._record(EntryKind.SPEND, -points, reason, now, ref)

    def refund(self, points: int, reason: str, now: datetime, ref: str) -> LedgerEntry:
        """Give back points spent under ``ref`` (AS-7: order cancelled or fully refunded).

        They return to the lots they came from and keep those lots' expiry, so
        spending and cancelling cannot refresh expiring points; points whose lot
        has already expired lapse at once (an "expire" entry follows).
        """
        points, reason, now = self._change(points, reason, now)
        ref = self._required_ref(ref)
        if ref not in self._takes:
            raise NotFound(
                f"refunding points to {ref!r}",
                "no points were spent under this reference",
                rule="AS-7",
            )
        takes = self._takes[ref]
        refundable = sum(take.points for take in takes)
        if points > refundable:
            raise LimitReached(
                f"refunding {points} points to {ref!r}",
                f"only {refundable} spent points remain to be given back",
                rule="AS-7",
            )
        self._settle(now)
        left = points
        while left:
            take = takes[-1]
            given = min(take.points, left)
            take.lot.remaining += given
            take.points -= given
            left -= given
            if not take.points:
                takes.pop()
        entry = self._record(EntryKind.REFUND, points, reason, now, ref)
        self._settle(now)
        return entry

    def revoke(self, points: int, reason: str, now: datetime, ref: str) -> LedgerEntry:
        """Take back points earned under ``ref`` (AS-7: the order was fully refunded).

        Points never go negative (PTS-4): at most the balance is taken, and the
        entry records what was actually revoked (possibly 0, when the customer
        already spent them).  The shortfall is forgiven, not carried as a debt:
        the claim on ``ref`` is closed by the amount asked.
        """
        points, reason, now = self._change(points, reason, now)
        ref = self._required_ref(ref)
        if ref not in self._revocable:
            raise NotFound(
                f"revoking points of {ref!r}",
                "no points were earned under this reference",
                rule="AS-7",
            )
        revocable = self._revocable[ref]
        if points > revocable:
            raise LimitReached(
                f"revoking {points} points of {ref!r}",
                f"only {revocable} points earned under it remain to be revoked",
                rule="AS-7",
            )
        self._settle(now)
        self._revocable[ref] = revocable - points
        taken = 0
        own = [lot for lot in self._lots if lot.ref == ref]
        for lot in own + [lot for lot in self._lots if lot.ref != ref]:
            part = min(lot.remaining, points - taken)
            lot.remaining -= part
            taken += part
        return self._record(EntryKind.REVOKE, -taken, reason, now, ref)

    def expire(self, now: datetime) -> tuple[LedgerEntry, ...]:
        """Record the expiry of every lot whose expiry has passed (PTS-3)."""
        return self._settle(self._now(now))

    # internals

    def _now(self, now: datetime) -> datetime:
        aware(now, "now", "PTS-4")
        if self._entries and now < self._entries[-1].at:
            raise InvalidInput(
                "now",
                f"{now.isoformat()} is before the last ledger entry "
                f"({self._entries[-1].at.isoformat()}); the ledger only moves forward",
                rule="PTS-4",
            )
        return now

    def _change(self, points: int, reason: str, now: datetime) -> tuple[int, str, datetime]:
        whole(points, "points", "PTS-4", minimum=1)
        text(reason, "reason", "PTS-4")
        return points, reason, self._now(now)

    @staticmethod
    def _optional_ref(ref: str | None) -> str | None:
        return None if ref is None else text(ref, "reference", "AS-7")

    @staticmethod
    def _required_ref(ref: str) -> str:
        return text(ref, "reference", "AS-7")

    @staticmethod
    def _lapsed_at(lot: _Lot, now: datetime) -> datetime | None:
        """The lot's expiry if it has passed at ``now`` (cleared at 23:59:59 itself)."""
        if lot.expires_at is not None and lot.expires_at <= now:
            return lot.expires_at
        return None

    def _settle(self, now: datetime) -> tuple[LedgerEntry, ...]:
        recorded: list[LedgerEntry] = []
        for lot in self._lots:
            expires = self._lapsed_at(lot, now)
            if lot.remaining and expires is not None:
                lapsed, lot.remaining = lot.remaining, 0
                # Dated at the expiry itself unless that would break chronology
                # (a refund into an already-expired lot lapses "now").
                at = max(expires, self._entries[-1].at) if self._entries else expires
                reason = (
                    f"points earned {lot.earned_at.date().isoformat()} "
                    f"expired at {expires.isoformat()}"
                )
                recorded.append(self._record(EntryKind.EXPIRE, -lapsed, reason, at, lot.ref))
        return tuple(recorded)

    def _record(
        self, kind: EntryKind, points: int, reason: str, at: datetime, ref: str | None
    ) -> LedgerEntry:
        before = self._entries[-1].balance_after if self._entries else 0
        entry = LedgerEntry(kind, points, reason, at, ref, before + points)
        self._entries.append(entry)
        return entry
