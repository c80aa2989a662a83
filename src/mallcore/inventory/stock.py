"""Stock of a shop's SKUs: reserve at order, take at payment, release, restock (ORD-6, ORD-9).

Each SKU's stock sits in three buckets, ``available``, ``reserved`` and
``sold``; every movement only moves units between them (receiving is the one
way in), so ``available + reserved + sold`` always equals what was received.
That conservation, plus "available never below zero unless the SKU allows
overselling (PRE-2)", is what makes FS-5 ("never sell more than the stock") a
property of the aggregate rather than of its callers.

Stock is reduced once per reference (an order number): a reservation for
"reduce at order creation", a take for "reduce at payment" (ORD-9).  Using a
reference twice is refused, so a retried request can never reduce stock twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import attrs

from mallcore.errors import (
    InvalidInput,
    InvalidTransition,
    LimitReached,
    NotAllowed,
    NotFound,
)
from mallcore.guards import identifier, whole
from mallcore.locking import Locked

__all__ = [
    "Inventory",
    "Movement",
    "MovementKind",
    "StockLevel",
]

Items = tuple[tuple[str, int], ...]


@attrs.frozen
class StockLevel:
    """One SKU's stock at a moment; ``total`` is everything ever received."""

    available: int
    reserved: int
    sold: int
    oversell: bool

    @property
    def total(self) -> int:
        return self.available + self.reserved + self.sold


class MovementKind(StrEnum):
    RECEIVE = "receive"  # restocking: the only way units enter
    RESERVE = "reserve"  # available → reserved (ORD-9, reduce at order creation)
    RELEASE = "release"  # reserved → available (ORD-6, unpaid order closed)
    COMMIT = "commit"  # reserved → sold (the reserved order was paid)
    TAKE = "take"  # available → sold (ORD-9, reduce at payment)
    RESTOCK = "restock"  # sold → available (returned goods after a refund)


@attrs.frozen
class Movement:
    """One entry of the audit trail: ``quantity`` units of ``sku`` moved by ``kind``."""

    kind: MovementKind
    sku: str
    quantity: int
    ref: str


class _State(StrEnum):
    OPEN = "open"
    RELEASED = "released"
    COMMITTED = "committed"


@attrs.define
class _Stock:
    available: int = 0
    reserved: int = 0
    sold: int = 0
    oversell: bool = False


@attrs.define
class _Reservation:
    items: Items
    state: _State = _State.OPEN


def _items(items: object, what: str, rule: str) -> Items:
    """(sku, quantity) pairs, merged per SKU in first-seen order.

    Merging lets an order carry one SKU on two lines (say, part at a flash-sale
    price and the rest at full price) while the stock check sees the sum.
    """
    if not isinstance(items, Sequence) or isinstance(items, str | bytes):
        raise InvalidInput(what, f"{type(items).__name__} is not a sequence of pairs", rule=rule)
    merged: dict[str, int] = {}
    for item in items:
        if not isinstance(item, tuple) or len(item) != 2:
            raise InvalidInput(what, f"{item!r} is not a (sku, quantity) pair", rule=rule)
        sku = identifier(item[0], f"SKU in {what}", rule)
        quantity = whole(item[1], f"quantity of SKU {sku!r} in {what}", rule, minimum=1)
        merged[sku] = merged.get(sku, 0) + quantity
    if not merged:
        raise InvalidInput(what, "no items: there is nothing to move", rule=rule)
    return tuple(merged.items())


class Inventory(Locked):
    """A shop's stock aggregate: the buckets of every SKU, open reservations, the trail.

    Every method checks everything before changing anything, so a refused
    call leaves no trace.  Methods hold an internal lock: in one process,
    concurrent buyers cannot both pass the stock check for the last unit (FS-5);
    across processes, a storage adapter must serialise changes to one inventory.
    A flash sale's own stock (FS-1) is an ``Inventory`` of its own.
    """

    def __init__(self, shop_id: str | None = None) -> None:
        self.shop_id = None if shop_id is None else identifier(shop_id, "shop id", "ORD-9")
        Locked.__init__(self)
        self._stock: dict[str, _Stock] = {}
        self._reservations: dict[str, _Reservation] = {}
        self._taken: set[str] = set()  # refs that already took stock at payment
        self._sold: dict[str, dict[str, int]] = {}  # ref -> sku -> sold, not yet restocked
        self._movements: list[Movement] = []


    # queries

    @property
    def movements(self) -> tuple[Movement, ...]:
        with self._lock:
            return tuple(self._movements)

    def skus(self) -> tuple[str, ...]:
        """SKU ids in the order they became known."""
        with self._lock:
            return tuple(self._stock)

    def level(self, sku_id: str) -> StockLevel:
        with self._lock:
            stock = self._known(identifier(sku_id, "SKU", "ORD-9"), "reading the stock of")
            return StockLevel(stock.available, stock.reserved, stock.sold, stock.oversell)

    def reservation(self, ref: str) -> Items | None:
        """The items ``ref`` holds reserved; None once released or committed, or never."""
        ref = identifier(ref, "reservation reference", "ORD-9")
        with self._lock:
            held = self._reservations.get(ref)
            return held.items if held is not None and held.state is _State.OPEN else None

    def sold_under(self, ref: str) -> Items:
        """What ``ref`` bought and has not been restocked: the most a return can put back."""
        ref = identifier(ref, "order reference", "AS-3")
        with self._lock:
            return tuple((sku, n) for sku, n in self._sold.get(ref, {}).items() if n)

    # changes

    def receive(self, sku_id: str, quantity: int, *, ref: str) -> None:
        """Restocking: the one way units enter.  An unknown SKU becomes known."""
        sku_id = identifier(sku_id, "SKU", "ORD-9")
        quantity = whole(quantity, f"quantity received of SKU {sku_id!r}", "ORD-9", minimum=1)
        ref = identifier(ref, "receipt reference", "ORD-9")
        with self._lock:
            self._stock.setdefault(sku_id, _Stock()).available += quantity
            self._record(MovementKind.RECEIVE, sku_id, quantity, ref)

    def set_oversell(self, sku_id: str, allowed: bool) -> None:
        """PRE-2: a pre-sale SKU may sell virtual stock, ordering at zero or below.

        An unknown SKU becomes known with no stock (a pre-sale may have none yet).
        Switching overselling off while ``available`` is negative is refused:
        the SKU would already be in breach of the limit it is being put under.
        """
        sku_id = identifier(sku_id, "SKU", "PRE-2")
        if not isinstance(allowed, bool):
            raise InvalidInput(
                f"overselling of SKU {sku_id!r}", f"{allowed!r} is not a bool", rule="PRE-2"
            )
        with self._lock:
            stock = self._stock.get(sku_id)
            if stock is None:
                self._stock[sku_id] = _Stock(oversell=allowed)
                return
            if not allowed and stock.available < 0:
                raise NotAllowed(
                    f"turning overselling off for SKU {sku_id!r}",
                    f"{-stock.available} units are already oversold; receive them first",
                    rule="PRE-2",
                )
            stock.oversell = allowed

    def reserve(self, ref: str, items: Sequence[tuple[str, int]]) -> None:
        """ORD-9 "reduce at order creation": available → reserved, all or nothing.

        A reference reserves once in its life, even after release or commit: a
        retried order creation must not hoard the stock twice.
        """
        ref = identifier(ref, "reservation reference", "ORD-9")
        wanted = _items(items, f"reservation {ref!r}", "ORD-9")
        with self._lock:
            held = self._reservations.get(ref)
            if held is not None:
                raise NotAllowed(
                    f"reserving stock for {ref!r}",
                    f"{ref!r} already reserved stock (now {held.state}); "
                    "a reference reserves only once",
                    rule="ORD-9",
                )
            self._check_available(wanted, f"reserving stock for {ref!r}", "nothing was reserved")
            for sku, quantity in wanted:
                stock = self._stock[sku]
                stock.available -= quantity
                stock.reserved += quantity
                self._record(MovementKind.RESERVE, sku, quantity, ref)
            self._reservations[ref] = _Reservation(wanted)

    def release(self, ref: str) -> bool:
        """ORD-6: an unpaid order closed, its reservation goes back to available.

        Idempotent: auto-close and a buyer's cancel may race, so releasing an
        unknown, released or committed reference does nothing and returns False.
        """
        ref = identifier(ref, "reservation reference", "ORD-6")
        with self._lock:
            held = self._reservations.get(ref)
            if held is None or held.state is not _State.OPEN:
                return False
            for sku, quantity in held.items:
                stock = self._stock[sku]
                stock.reserved -= quantity
                stock.available += quantity
                self._record(MovementKind.RELEASE, sku, quantity, ref)
            held.state = _State.RELEASED
            return True

    def commit(self, ref: str) -> None:
        """Payment of an order whose stock was reserved: reserved → sold (ORD-9).

        A released reservation cannot be committed: its stock may be someone
        else's by now, so a late payment for a closed order is refused, not
        silently oversold.
        """
        ref = identifier(ref, "reservation reference", "ORD-9")
        with self._lock:
            held = self._reservations.get(ref)
            if held is None:
                raise NotFound(
                    f"committing the reservation {ref!r}", "no stock was reserved", rule="ORD-9"
                )
            if held.state is not _State.OPEN:
                rule = "ORD-6" if held.state is _State.RELEASED else "ORD-9"
                raise InvalidTransition(
                    f"committing the reservation {ref!r}", str(held.state), rule=rule
                )
            sold = self._sold.setdefault(ref, {})
            for sku, quantity in held.items:
                stock = self._stock[sku]
                stock.reserved -= quantity
                stock.sold += quantity
                sold[sku] = sold.get(sku, 0) + quantity
                self._record(MovementKind.COMMIT, sku, quantity, ref)
            held.state = _State.COMMITTED

    def take(self, ref: str, items: Sequence[tuple[str, int]]) -> None:
        """ORD-9 "reduce at payment": available → sold, all or nothing.

        Stock that is gone by the time of payment is refused (LimitReached),
        never silently oversold; only oversell SKUs (PRE-2) accept.  A reference
        takes once: a repeated payment notification cannot sell twice.  The same
        reference may also hold a reservation (an order mixing both strategies).
        """
        ref = identifier(ref, "order reference", "ORD-9")
        wanted = _items(items, f"take {ref!r}", "ORD-9")
        with self._lock:
            if ref in self._taken:
                raise NotAllowed(
                    f"taking stock for {ref!r}",
                    f"{ref!r} already took stock at payment; a reference takes only once",
                    rule="ORD-9",
                )
            self._check_available(wanted, f"taking stock for {ref!r}", "nothing was taken")
            sold = self._sold.setdefault(ref, {})
            for sku, quantity in wanted:
                stock = self._stock[sku]
                stock.available -= quantity
                stock.sold += quantity
                sold[sku] = sold.get(sku, 0) + quantity
                self._record(MovementKind.TAKE, sku, quantity, ref)
            self._taken.add(ref)

    def restock(self, ref: str, items: Sequence[tuple[str, int]]) -> None:
        """Returned goods go back on sale: sold → available, all or nothing (AS-3).

        Never more than ``ref`` bought and has not already returned, so a
        return cannot mint stock.
        """
        ref = identifier(ref, "order reference", "AS-3")
        wanted = _items(items, f"restock {ref!r}", "AS-3")
        with self._lock:
            sold = self._sold.get(ref)
            if sold is None:
                raise NotFound(f"restocking {ref!r}", "nothing was sold under it", rule="AS-3")
            for sku, _ in wanted:
                self._known(sku, f"restocking {ref!r} with")
            over = [(sku, n, sold.get(sku, 0)) for sku, n in wanted if n > sold.get(sku, 0)]
            if over:
                raise LimitReached(
                    f"restocking {ref!r}",
                    "; ".join(f"SKU {s!r}: {n} returned, {left} sold" for s, n, left in over)
                    + "; nothing was restocked",
                    rule="AS-3",
                )
            for sku, quantity in wanted:
                stock = self._stock[sku]
                stock.sold -= quantity
                stock.available += quantity
                sold[sku] -= quantity
                self._record(MovementKind.RESTOCK, sku, quantity, ref)

    # internals (the lock is held by the caller)

    def _known(self, sku: str, action: str) -> _Stock:
        stock = self._stock.get(sku)
        if stock is None:
            raise NotFound(f"{action} SKU {sku!r}", "no such SKU in this inventory", rule="ORD-9")
        return stock

    def _check_available(self, wanted: Items, refused: str, outcome: str) -> None:
        """Refuse, naming every short SKU, unless all of ``wanted`` can leave available."""
        short: list[tuple[str, int, int]] = []
        for sku, quantity in wanted:
            stock = self._known(sku, refused + ":")
            if not stock.oversell and quantity > stock.available:
                short.append((sku, quantity, stock.available))
        if short:
            raise LimitReached(
                refused,
                "; ".join(f"SKU {s!r}: {n} asked, {a} available" for s, n, a in short)
                + f"; {outcome}",
                rule="ORD-9",
            )

    def _record(self, kind: MovementKind, sku: str, quantity: int, ref: str) -> None:
        self._movements.append(Movement(kind, sku, quantity, ref))
