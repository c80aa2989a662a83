"""Flash-sale stock: the port (``FlashStock``) and its in-memory implementation (FS-1, FS-5).

A flash sale's stock is its own (FS-1): loaded per (sale, SKU), apart from the
product's stock.  Every unit sits in one of three buckets, ``remaining``,
``reserved`` (an order was submitted and is not paid yet) and ``sold``; every
call only moves units between them, so

    remaining + reserved + sold == loaded        (and remaining >= 0)

always holds.  That conservation is what makes FS-5 ("never sell more than the
flash stock, under any concurrency") a property of the store, not of its callers.

References.  Each reservation has a caller-chosen ``ref`` (one flash line of one
order, such as ``"order-42/sku-red"``).  A ref's fate is fixed by its first
``reserve``: a repeat (a retried request) returns the first answer — True or
False — and never reserves twice, even after release or confirmation.  Reusing a
ref for another sale, SKU or quantity is refused.

The contract for a shared implementation (Redis with a Lua script, SQL with a
conditional UPDATE), which must fit this protocol:

* ``load`` sets a (sale, SKU)'s flash stock once; loading the same number again
  is a no-op (every app server may load at start-up); another number is refused.
* ``reserve`` is one atomic check-and-move: remaining → reserved, or nothing.
* ``release`` (unpaid order closed, FS-3) moves reserved → remaining, once.
* ``confirm`` (paid) moves reserved → sold, once; a released ref is refused: its
  units may already be someone else's, so a late payment must be refunded.  A ref
  whose reserve answered False holds nothing and is refused too.
* every query reads one (sale, SKU); unknown pairs raise ``NotFound``.

A store that also keeps the FS-2 limits can do the limit check and the stock
move as one step: ``promotions.flash_sale.FlashGate`` (Redis does it in one Lua
script).  ``MemoryFlashStock`` with ``FlashLimits`` is the reference behaviour.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

import attrs

from mallcore.errors import InvalidTransition, NotAllowed, NotFound
from mallcore.guards import identifier, whole
from mallcore.locking import Locked

__all__ = ["FlashHold", "FlashLevel", "FlashStock", "MemoryFlashStock"]


class FlashStock(Protocol):
    """The flash-stock port; see the module docstring for the full contract."""

    def load(self, sale_id: str, sku_id: str, stock: int) -> bool:
        """Set the flash stock of (sale, SKU); True if this call set it, False if it
        was already loaded with the same number; another number raises ``NotAllowed``."""
        ...

    def reserve(self, sale_id: str, sku_id: str, quantity: int, ref: str) -> bool:
        """Atomically hold ``quantity`` units for ``ref``; False when not enough remain.
        A repeated ``ref`` returns its first answer and changes nothing."""
        ...

    def release(self, ref: str) -> bool:
        """Give ``ref``'s held units back; True only for the call that released them."""
        ...

    def confirm(self, ref: str) -> bool:
        """``ref`` was paid: held → sold; True the first time, False on a repeat.
        A released or refused ref raises ``InvalidTransition``, an unknown one ``NotFound``."""
        ...

    def remaining(self, sale_id: str, sku_id: str) -> int: ...

    def reserved(self, sale_id: str, sku_id: str) -> int: ...

    def sold(self, sale_id: str, sku_id: str) -> int: ...


@attrs.frozen
class FlashLevel:
    """One (sale, SKU)'s flash stock at a moment: the buckets always sum to ``loaded``."""

    loaded: int
    remaining: int
    reserved: int
    sold: int


@attrs.frozen
class FlashHold:
    """What one reference did: its (sale, SKU), quantity, and state ("held", "refused",
    "released" or "sold").  For reconciliation and for stores built on this one."""

    ref: str
    sale_id: str
    sku_id: str
    quantity: int
    state: str


class _State(StrEnum):
    HELD = "held"
    REFUSED = "refused"  # the first reserve found too little stock: nothing is held
    RELEASED = "released"
    SOLD = "sold"


@attrs.define
class _Level:
    loaded: int
    remaining: int
    reserved: int = 0
    sold: int = 0


@attrs.define
class _Hold:
    key: tuple[str, str]
    quantity: int
    state: _State


class MemoryFlashStock(Locked):
    """``FlashStock`` in one process: one lock around every read and change.

    Exact under threads (FS-5): the stock check and the move happen under the
    same lock, so two buyers can never both take the last unit.  Across
    processes use a shared implementation (Redis, SQL) with the same contract.
    """

    def __init__(self) -> None:
        Locked.__init__(self)
        self._levels: dict[tuple[str, str], _Level] = {}
        self._holds: dict[str, _Hold] = {}

    # ----------------------------------------------------------------- changes
    def load(self, sale_id: str, sku_id: str, stock: int) -> bool:
        key = _key(sale_id, sku_id)
        stock = whole(stock, f"flash stock of SKU {sku_id!r} in sale {sale_id!r}", "FS-1",
                      minimum=1)
        with self._lock:
            level = self._levels.get(key)
            if level is None:
                self._levels[key] = _Level(stock, stock)
                return True
            if level.loaded != stock:
                raise NotAllowed(
                    f"loading {stock} flash units of SKU {sku_id!r} in sale {sale_id!r}",
                    f"{level.loaded} units are already loaded; flash stock is set once",
                    rule="FS-1",
                )
            return False

    def reserve(self, sale_id: str, sku_id: str, quantity: int, ref: str) -> bool:
        key = _key(sale_id, sku_id)
        quantity = whole(quantity, f"flash quantity of SKU {sku_id!r}", "FS-5", minimum=1)
        ref = identifier(ref, "flash reservation reference", "FS-5")
        with self._lock:
            hold = self._holds.get(ref)
            if hold is not None:
                if hold.key != key or hold.quantity != quantity:
                    raise NotAllowed(
                        f"reserving flash stock under {ref!r}",
                        f"{ref!r} already reserved {hold.quantity} of SKU {hold.key[1]!r} "
                        f"in sale {hold.key[0]!r}; a reference is one reservation",
                        rule="FS-5",
                    )
                return hold.state is not _State.REFUSED
            level = self._level(key)
            if self._available(level) < quantity:
                self._holds[ref] = _Hold(key, quantity, _State.REFUSED)
                return False
            level.remaining -= quantity
            level.reserved += quantity
            self._holds[ref] = _Hold(key, quantity, _State.HELD)
            return True

    def release(self, ref: str) -> bool:
        ref = identifier(ref, "flash reservation reference", "FS-3")
        with self._lock:
            hold = self._holds.get(ref)
            if hold is None or hold.state is not _State.HELD:
                return False
            level = self._levels[hold.key]
            level.reserved -= hold.quantity
            level.remaining += hold.quantity
            hold.state = _State.RELEASED
            return True

    def confirm(self, ref: str) -> bool:
        ref = identifier(ref, "flash reservation reference", "FS-5")
        with self._lock:
            hold = self._holds.get(ref)
            if hold is None:
                raise NotFound(f"confirming flash reservation {ref!r}", "nothing was reserved",
                               rule="FS-5")
            if hold.state is _State.SOLD:
                return False
            if hold.state is not _State.HELD:
                rule = "FS-3" if hold.state is _State.RELEASED else "FS-5"
                raise InvalidTransition(f"confirming flash reservation {ref!r}",
                                        str(hold.state), rule=rule)
            level = self._levels[hold.key]
            level.reserved -= hold.quantity
            level.sold += hold.quantity
            hold.state = _State.SOLD
            return True

    # ----------------------------------------------------------------- queries
    def remaining(self, sale_id: str, sku_id: str) -> int:
        return self.level(sale_id, sku_id).remaining

    def reserved(self, sale_id: str, sku_id: str) -> int:
        return self.level(sale_id, sku_id).reserved

    def sold(self, sale_id: str, sku_id: str) -> int:
        return self.level(sale_id, sku_id).sold

    def level(self, sale_id: str, sku_id: str) -> FlashLevel:
        """All four numbers read under one lock, so they are consistent with each other."""
        key = _key(sale_id, sku_id)
        with self._lock:
            level = self._level(key)
            return FlashLevel(level.loaded, level.remaining, level.reserved, level.sold)

    def held(self, ref: str) -> int:
        """Units ``ref`` holds reserved right now (0 once released, sold, or refused)."""
        ref = identifier(ref, "flash reservation reference", "FS-5")
        with self._lock:
            hold = self._holds.get(ref)
            return hold.quantity if hold is not None and hold.state is _State.HELD else 0

    def lookup(self, ref: str) -> FlashHold | None:
        """What ``ref`` did, or None if it never reserved here."""
        with self._lock:
            hold = self._holds.get(ref)
            if hold is None:
                return None
            return FlashHold(ref, hold.key[0], hold.key[1], hold.quantity, str(hold.state))

    # ------------------------------------------- internals (the lock is held)
    def _level(self, key: tuple[str, str]) -> _Level:
        level = self._levels.get(key)
        if level is None:
            raise NotFound(f"flash stock of SKU {key[1]!r} in sale {key[0]!r}",
                           "was never loaded", rule="FS-1")
        return level

    def _available(self, level: _Level) -> int:
        """The stock check, a seam of its own so tests can widen the check-then-act gap."""
        return level.remaining


def _key(sale_id: str, sku_id: str) -> tuple[str, str]:
    return (identifier(sale_id, "flash sale id", "FS-1"),
            identifier(sku_id, "flash SKU", "FS-1"))
