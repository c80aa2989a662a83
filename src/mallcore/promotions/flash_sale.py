"""Flash sales (秒杀, 004 "秒杀"): per-SKU price and stock, per-user limits, payment
timeout, reminders (FS-1..FS-5), and their stage-1 pricing rule (PIPE-1, PIPE-5).

The pieces and who calls them:

* ``FlashSale`` — the merchant's settings: a window, the SKUs taking part, each
  with its own price, stock and per-user limit (FS-1, FS-2), the payment timeout
  (FS-3, default 30 minutes) and how long before the start to remind (FS-4).
* ``FlashSaleRule`` — a ``LinePriceRule`` for the pricing pipeline: a line of a
  SKU in the sale, while the window is active, is priced at flash price ×
  quantity with the ``FLASH_SALE`` stacking (free shipping and pay-gifts only,
  PIPE-5).  Pricing only reads: the stock and the limits change at submission
  (``submit``), payment (``pay``) and closing (``close_unpaid``, ``close_expired``).
* ``FlashLimits`` — the FS-2 ledger of what each customer has ordered per SKU.
* ``reminders_due`` — FS-4 reminder events for the SMS adapter.

Choices where the source is silent (RULES.md "Interpretation"):

* A flash price not below the line's list (unit) price is not applied: the rule
  answers ``LineSkip(NOTHING_TO_DISCOUNT)`` and the line keeps its normal price
  and every normal benefit.  Such a price cannot be refused when the sale is
  created (the list price lives in the catalogue and may change later), and an
  error at checkout would block the whole cart for a merchant's pricing slip;
  applying it would charge more, or take the coupon and member discount away
  for nothing.  Equal counts as "not below" for the same reason.
* Over the per-user limit the whole line is skipped (full price), never split:
  FS-2 has none of the "first N discounted" modes of LTD-2.  A guest (no
  customer id) cannot be counted, so a limited SKU is skipped for a guest
  (``CUSTOMER_NOT_ELIGIBLE``); unlimited SKUs are open to guests.
* The limit is used up when the order is submitted (seed: "用户提交订单即消耗限购
  次数") and given back when the unpaid order closes (payment timeout or buyer
  cancellation), as most malls do; once paid it stays used, even after a refund.
  ``FlashSale.return_limit_on_close=False`` keeps it used on close as well.
* A recurring sale counts the limit across all its occurrences ("per user per
  SKU, across the sale").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol, runtime_checkable

import attrs

from mallcore.errors import (
    CurrencyMismatch,
    InvalidConfiguration,
    InvalidInput,
    InvalidTransition,
    LimitReached,
    NotAllowed,
    NotFound,
)
from mallcore.guards import aware, identifier, text, whole
from mallcore.locking import Locked
from mallcore.money import Money, format_yuan, to_fen
from mallcore.pricing.buyer import Buyer
from mallcore.pricing.cart import CartLine
from mallcore.pricing.line_rules import LinePrice, LineSkip
from mallcore.pricing.reasons import SkipReason
from mallcore.promotions.flash_stock import FlashLevel, FlashStock, MemoryFlashStock
from mallcore.promotions.stacking import FLASH_SALE
from mallcore.promotions.window import Schedule, Window

__all__ = [
    "DEFAULT_PAYMENT_TIMEOUT",
    "FLASH_SALE_KIND",
    "FlashLimitLedger",
    "FlashLimits",
    "FlashReminder",
    "FlashReservation",
    "FlashSale",
    "FlashSaleItem",
    "FlashSaleRule",
    "FlashSubscription",
    "RecurringStarts",
    "Schedule",
    "expired_reservations",
    "reminders_due",
]

#: FS-3 / ORD-6: an unpaid flash-sale order closes after 30 minutes unless configured.
DEFAULT_PAYMENT_TIMEOUT = timedelta(minutes=30)
#: The ``kind`` a flash sale shows in a price breakdown (the stacking family's name).
FLASH_SALE_KIND = FLASH_SALE.family


@runtime_checkable
class RecurringStarts(Protocol):
    """What a recurring window offers FS-4 reminders: its occurrence starts in
    ``(after, until]``.  A plain ``Window`` needs none: its one start is ``starts_at``."""

    def starts_between(self, after: datetime, until: datetime) -> Iterable[datetime]: ...


# ------------------------------------------------------------------ settings
@attrs.frozen
class FlashSaleItem:
    """One SKU in a flash sale: its own price and stock (FS-1) and per-user limit (FS-2).

    A plain record: it is checked when it joins a ``FlashSale``, so every error
    names the sale as well as the SKU.
    """

    sku_id: str
    price: Money
    stock: int
    per_user_limit: int | None = None


def _items(values: Iterable[FlashSaleItem]) -> tuple[FlashSaleItem, ...]:
    return tuple(values)


@attrs.frozen
class FlashSale:
    """A flash sale (秒杀): a window, the SKUs taking part, timeout and reminder settings.

    ``window`` is anything with ``is_active(now)`` and ``describe()``.  Reminders
    (``remind_before``, FS-4) also need its start times: a ``Window`` with a
    start, or a recurring window that implements ``RecurringStarts``.
    """

    id: str
    name: str
    window: Schedule
    items: tuple[FlashSaleItem, ...] = attrs.field(converter=_items)
    payment_timeout: timedelta = DEFAULT_PAYMENT_TIMEOUT
    remind_before: timedelta | None = None
    return_limit_on_close: bool = True
    _by_sku: dict[str, tuple[FlashSaleItem, int]] = attrs.field(
        init=False, repr=False, eq=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        sale = identifier(self.id, "flash sale id", "FS-1", error=InvalidConfiguration)
        what = f"flash sale {sale!r}"
        text(self.name, f"name of {what}", "FS-1", error=InvalidConfiguration)
        for method in ("is_active", "describe"):
            if not callable(getattr(self.window, method, None)):
                raise InvalidConfiguration(
                    what, f"its window {self.window!r} has no {method}()", rule="FS-1"
                )
        if not self.items:
            raise InvalidConfiguration(what, "has no SKUs", rule="FS-1")
        by_sku: dict[str, tuple[FlashSaleItem, int]] = {}
        currencies: set[str] = set()
        for item in self.items:
            if not isinstance(item, FlashSaleItem):
                raise InvalidConfiguration(what, f"{item!r} is not a FlashSaleItem", rule="FS-1")
            sku = identifier(item.sku_id, f"a SKU of {what}", "FS-1", error=InvalidConfiguration)
            if sku in by_sku:
                raise InvalidConfiguration(what, f"SKU {sku!r} appears twice", rule="FS-1")
            by_sku[sku] = (item, _price_fen(item, what))
            currencies.add(str(item.price.currency.code))
            whole(item.stock, f"flash stock of SKU {sku!r} in {what}", "FS-1", minimum=1,
                  error=InvalidConfiguration)
            if item.per_user_limit is not None:
                whole(item.per_user_limit, f"per-user limit of SKU {sku!r} in {what}", "FS-2",
                      minimum=1, error=InvalidConfiguration)
        if len(currencies) > 1:
            raise CurrencyMismatch(what, f"prices mix currencies {sorted(currencies)}")
        if not isinstance(self.payment_timeout, timedelta) or self.payment_timeout <= timedelta():
            raise InvalidConfiguration(
                f"payment timeout of {what}", f"{self.payment_timeout!r} is not a positive "
                "duration", rule="FS-3",
            )
        if self.remind_before is not None:
            if not isinstance(self.remind_before, timedelta) or (
                self.remind_before <= timedelta()
            ):
                raise InvalidConfiguration(
                    f"reminder of {what}", f"{self.remind_before!r} is not a positive duration",
                    rule="FS-4",
                )
            if not isinstance(self.window, RecurringStarts) and not (
                isinstance(self.window, Window) and self.window.starts_at is not None
            ):
                raise InvalidConfiguration(
                    f"reminder of {what}",
                    "its window has no start to remind before (a Window needs starts_at; a "
                    "recurring window needs starts_between)",
                    rule="FS-4",
                )
        if not isinstance(self.return_limit_on_close, bool):
            raise InvalidConfiguration(
                f"{what} return_limit_on_close", f"{self.return_limit_on_close!r} is not a bool",
                rule="FS-2",
            )
        object.__setattr__(self, "_by_sku", by_sku)

    @property
    def sku_ids(self) -> frozenset[str]:
        """The SKUs taking part (for LTD-6 overlap checks across promotion families)."""
        return frozenset(self._by_sku)

    @property
    def skus(self) -> frozenset[str]:
        return frozenset(self._by_sku)

    @property
    def kind(self) -> str:
        return FLASH_SALE_KIND

    @property
    def currency(self) -> str:
        return str(self.items[0].price.currency.code)

    def item(self, sku_id: str) -> FlashSaleItem:
        found = self._by_sku.get(sku_id)
        if found is None:
            raise NotFound(f"SKU {sku_id!r}", f"is not in flash sale {self.id!r}", rule="FS-1")
        return found[0]

    def price_fen(self, sku_id: str) -> int:
        """The flash price of ``sku_id`` in fen."""
        self.item(sku_id)
        return self._by_sku[sku_id][1]

    def starts_between(self, after: datetime, until: datetime) -> tuple[datetime, ...]:
        """Occurrence starts in ``(after, until]``: FS-4 reminders count from these."""
        window = self.window
        if isinstance(window, RecurringStarts):
            found = {s for s in window.starts_between(after, until) if after < s <= until}
            return tuple(sorted(found))
        if isinstance(window, Window) and window.starts_at is not None:
            start = window.starts_at
            return (start,) if after < start <= until else ()
        return ()


def _price_fen(item: FlashSaleItem, what: str) -> int:
    sku = item.sku_id
    if not isinstance(item.price, Money):
        raise InvalidConfiguration(
            what, f"flash price of SKU {sku!r} is {type(item.price).__name__}, not Money",
            rule="FS-1",
        )
    try:
        fen = to_fen(item.price, str(item.price.currency.code), what="price")
    except InvalidInput as exc:
        raise InvalidConfiguration(
            what, f"flash price of SKU {sku!r}: {exc.reason}", rule="FS-1"
        ) from exc
    if fen < 0:
        raise InvalidConfiguration(
            what, f"flash price of SKU {sku!r} is negative ({format_yuan(fen)})", rule="FS-1"
        )
    return fen


# ------------------------------------------------------------- FS-2 limits
class FlashLimitLedger(Protocol):
    """The FS-2 port: what each customer has ordered of each flash SKU, per sale.

    ``use`` is one atomic check-and-add, all or nothing; one ``ref`` is one flash
    line of one order.  A repeat of a ref with the same arguments changes nothing
    (a retried submission); ``confirm`` (paid) keeps the use for good;
    ``give_back`` (unpaid order closed) returns it, once.
    """

    def used(self, sale_id: str, customer_id: str, sku_id: str) -> int: ...

    def use(
        self, sale_id: str, customer_id: str, sku_id: str, quantity: int, ref: str, *,
        limit: int | None,
    ) -> None: ...

    def confirm(self, ref: str) -> bool: ...

    def give_back(self, ref: str) -> bool: ...


@attrs.frozen
class FlashUse:
    """What one reference used of a customer's limit; ``state`` is "used",
    "confirmed" (paid) or "returned" (its unpaid order closed)."""

    ref: str
    sale_id: str
    customer_id: str
    sku_id: str
    quantity: int
    state: str


class _UseState(StrEnum):
    USED = "used"  # submitted, not paid
    CONFIRMED = "confirmed"  # paid: never given back
    RETURNED = "returned"  # the unpaid order closed


@attrs.define
class _Use:
    key: tuple[str, str, str]  # sale, customer, SKU
    quantity: int
    state: _UseState


class FlashLimits(Locked):
    """``FlashLimitLedger`` in one process; one lock makes check-and-add exact under threads.

    ``limit`` is passed by the caller (``FlashSaleRule`` passes the item's), so a
    shared implementation needs no copy of the sales' settings; ``None`` records
    the use without a cap.
    """

    def __init__(self) -> None:
        Locked.__init__(self)
        self._used: dict[tuple[str, str, str], int] = {}
        self._refs: dict[str, _Use] = {}

    def used(self, sale_id: str, customer_id: str, sku_id: str) -> int:
        """Units submitted and not given back (unpaid or paid) by this customer."""
        key = _limit_key(sale_id, customer_id, sku_id)
        with self._lock:
            return self._used.get(key, 0)

    def use(
        self, sale_id: str, customer_id: str, sku_id: str, quantity: int, ref: str, *,
        limit: int | None,
    ) -> None:
        """Use ``quantity`` of the customer's limit for ``ref``, or refuse with
        ``LimitReached`` (FS-2) and use nothing."""
        key = _limit_key(sale_id, customer_id, sku_id)
        quantity = whole(quantity, f"flash quantity of SKU {sku_id!r}", "FS-2", minimum=1)
        ref = identifier(ref, "flash order reference", "FS-2")
        if limit is not None:
            limit = whole(limit, f"per-user limit of SKU {sku_id!r}", "FS-2", minimum=1)
        with self._lock:
            known = self._refs.get(ref)
            if known is not None:
                if known.key != key or known.quantity != quantity:
                    raise NotAllowed(
                        f"using the flash limit under {ref!r}",
                        f"{ref!r} already used {known.quantity} of SKU {known.key[2]!r} for "
                        f"customer {known.key[1]!r} in sale {known.key[0]!r}",
                        rule="FS-2",
                    )
                if known.state is _UseState.RETURNED:
                    raise NotAllowed(
                        f"using the flash limit under {ref!r}",
                        "its order was closed and the limit given back; a new order needs a "
                        "new reference",
                        rule="FS-2",
                    )
                return  # a retried submission: already counted
            already = self._count(key)
            if limit is not None and already + quantity > limit:
                raise over_limit(sale_id, customer_id, sku_id, limit, already, quantity)
            self._used[key] = already + quantity
            self._refs[ref] = _Use(key, quantity, _UseState.USED)

    def confirm(self, ref: str) -> bool:
        """The order was paid: the use is kept for good.  False on a repeat."""
        ref = identifier(ref, "flash order reference", "FS-2")
        with self._lock:
            known = self._refs.get(ref)
            if known is None:
                raise NotFound(f"confirming the flash limit of {ref!r}", "nothing was used",
                               rule="FS-2")
            if known.state is _UseState.RETURNED:
                raise InvalidTransition(f"confirming the flash limit of {ref!r}",
                                        str(known.state), rule="FS-3")
            if known.state is _UseState.CONFIRMED:
                return False
            known.state = _UseState.CONFIRMED
            return True

    def give_back(self, ref: str) -> bool:
        """The unpaid order closed: return its use.  True only for the call that did;
        a paid, returned or unknown ref is left alone (False)."""
        ref = identifier(ref, "flash order reference", "FS-2")
        with self._lock:
            known = self._refs.get(ref)
            if known is None or known.state is not _UseState.USED:
                return False
            self._used[known.key] -= known.quantity
            known.state = _UseState.RETURNED
            return True

    def lookup(self, ref: str) -> FlashUse | None:
        """What ``ref`` used, or None if it never used a limit here."""
        with self._lock:
            known = self._refs.get(ref)
            if known is None:
                return None
            sale_id, customer_id, sku_id = known.key
            return FlashUse(ref, sale_id, customer_id, sku_id, known.quantity, str(known.state))

    def _count(self, key: tuple[str, str, str]) -> int:
        """The check (lock held), a seam of its own so tests can widen the race window."""
        return self._used.get(key, 0)


def over_limit(
    sale_id: str, customer_id: str, sku_id: str, limit: int, already: int, quantity: int
) -> LimitReached:
    """The FS-2 refusal, worded the same by every ledger and gate."""
    return LimitReached(
        f"flash SKU {sku_id!r} in sale {sale_id!r} for customer {customer_id!r}",
        f"limit {limit} per customer, {already} already ordered, {quantity} asked",
        rule="FS-2",
    )


def sold_out(sale_id: str, sku_id: str, left: int, quantity: int) -> LimitReached:
    """The FS-5 refusal, worded the same by every store and gate."""
    return LimitReached(f"flash SKU {sku_id!r} in sale {sale_id!r}",
                        _short(sku_id, left, quantity), rule="FS-5")


def spent(ref: str) -> NotAllowed:
    """A closed submission's reference cannot hold stock again (FS-3)."""
    return NotAllowed(
        f"flash order reference {ref!r}",
        "its order was closed and its stock given back; a new order needs a new reference",
        rule="FS-3",
    )


def _limit_key(sale_id: str, customer_id: str, sku_id: str) -> tuple[str, str, str]:
    return (identifier(sale_id, "flash sale id", "FS-2"),
            identifier(customer_id, "customer id", "FS-2"),
            identifier(sku_id, "flash SKU", "FS-2"))


# ------------------------------------------- FS-2 + FS-5 in one step: the gate
class Admission(StrEnum):
    """What a ``FlashGate`` answered a submission."""

    HELD = "held"  # the limit is used and the units are held (or, on a repeat, were)
    OVER_LIMIT = "over_limit"  # FS-2: nothing used, nothing held
    SOLD_OUT = "sold_out"  # FS-5: nothing used, nothing held
    SPENT = "spent"  # a repeat of a submission whose order has since closed (FS-3)


@attrs.frozen
class FlashAdmission:
    """A gate's answer.  ``used`` is what the customer had already ordered when an
    ``OVER_LIMIT`` answer was first given; ``remaining`` the units left when a
    ``SOLD_OUT`` one was; a repeated ref gets these same numbers back."""

    outcome: Admission
    used: int = 0
    remaining: int = 0


ADMITTED = FlashAdmission(Admission.HELD)
SPENT = FlashAdmission(Admission.SPENT)


@runtime_checkable
class FlashGate(FlashStock, FlashLimitLedger, Protocol):
    """A store that keeps both the flash stock and the FS-2 limits, and so can check
    the limit, check the stock and hold the units as one atomic step.

    ``FlashSaleRule`` uses it when its ``stock`` is a gate and ``limits`` is the
    same object or omitted.  Contract (``MemoryFlashGate`` is the reference, a
    Redis store does each call in one Lua script):

    * ``submit`` checks the limit first (``OVER_LIMIT``), then the stock
      (``SOLD_OUT``); a refusal uses and holds nothing.  Otherwise the limit is
      used and the units held under ``ref`` (``HELD``).  Every first answer is
      kept: a repeated ``ref`` returns it and changes nothing (``SPENT`` once its
      order was closed).  The same ref with another SKU, customer or quantity,
      or a ref already used through the plain ``reserve`` / ``use`` ports, is
      refused (``NotAllowed``).  An SKU never loaded raises ``NotFound``.
    * ``pay`` is ``confirm``: held → sold, the limit kept for good.
    * ``close`` (unpaid order closed, FS-3) gives the units back and, when
      ``return_limit``, the limit; True only for the call that released stock.
    * refs are one submission within their sale: ``pay`` / ``close`` of a ref
      the sale does not know behave as for an unknown ref.
    """

    def submit(
        self, sale_id: str, sku_id: str, customer_id: str, quantity: int, ref: str, *,
        limit: int | None,
    ) -> FlashAdmission: ...

    def pay(self, sale_id: str, ref: str) -> bool: ...

    def close(self, sale_id: str, ref: str, *, return_limit: bool) -> bool: ...


class MemoryFlashGate(Locked):
    """``FlashGate`` in one process: a ``MemoryFlashStock`` and ``FlashLimits`` behind
    one lock, plus the first answer of each submission.

    The plain ports (``reserve``, ``use`` …) reach the same stock and limits, so
    the gate and a two-step caller can share a sale.  A combined ``confirm``
    confirms the stock, and the limit of a ref that used one; a ref known only
    to the limits is confirmed as the ledger does.
    """

    def __init__(self) -> None:
        Locked.__init__(self)
        self.stock = MemoryFlashStock()
        self.limits = FlashLimits()
        self._answers: dict[str, tuple[tuple[str, str, str, int], FlashAdmission]] = {}

    # -------------------------------------------------------- FlashStock
    def load(self, sale_id: str, sku_id: str, stock: int) -> bool:
        with self._lock:
            return self.stock.load(sale_id, sku_id, stock)

    def reserve(self, sale_id: str, sku_id: str, quantity: int, ref: str) -> bool:
        with self._lock:
            return self.stock.reserve(sale_id, sku_id, quantity, ref)

    def release(self, ref: str) -> bool:
        with self._lock:
            return self.stock.release(ref)

    def confirm(self, ref: str) -> bool:
        with self._lock:
            return self._confirm(ref)

    def _confirm(self, ref: str) -> bool:  # the lock is held
        use = self.limits.lookup(ref)
        if self.stock.lookup(ref) is None and use is not None:
            return self.limits.confirm(ref)
        sold = self.stock.confirm(ref)
        if use is not None and use.state == "used":
            self.limits.confirm(ref)
        return sold

    def remaining(self, sale_id: str, sku_id: str) -> int:
        return self.stock.remaining(sale_id, sku_id)

    def reserved(self, sale_id: str, sku_id: str) -> int:
        return self.stock.reserved(sale_id, sku_id)

    def sold(self, sale_id: str, sku_id: str) -> int:
        return self.stock.sold(sale_id, sku_id)

    def level(self, sale_id: str, sku_id: str) -> FlashLevel:
        return self.stock.level(sale_id, sku_id)

    # -------------------------------------------------- FlashLimitLedger
    def used(self, sale_id: str, customer_id: str, sku_id: str) -> int:
        return self.limits.used(sale_id, customer_id, sku_id)

    def use(
        self, sale_id: str, customer_id: str, sku_id: str, quantity: int, ref: str, *,
        limit: int | None,
    ) -> None:
        with self._lock:
            self.limits.use(sale_id, customer_id, sku_id, quantity, ref, limit=limit)

    def give_back(self, ref: str) -> bool:
        with self._lock:
            return self.limits.give_back(ref)

    # --------------------------------------------------------- the gate
    def submit(
        self, sale_id: str, sku_id: str, customer_id: str, quantity: int, ref: str, *,
        limit: int | None,
    ) -> FlashAdmission:
        quantity = whole(quantity, f"flash quantity of SKU {sku_id!r}", "FS-2", minimum=1)
        ref = identifier(ref, "flash order reference", "FS-2")
        args = (identifier(sale_id, "flash sale id", "FS-1"),
                identifier(sku_id, "flash SKU", "FS-1"),
                identifier(customer_id, "customer id", "FS-2"), quantity)
        with self._lock:
            first = self._answers.get(ref)
            if first is not None:
                if first[0] != args:
                    raise _reused(ref, first[0])
                answer = first[1]
                if answer.outcome is Admission.HELD:
                    hold = self.stock.lookup(ref)
                    if hold is not None and hold.state == "released":
                        return SPENT
                return answer
            if self.stock.lookup(ref) is not None or self.limits.lookup(ref) is not None:
                raise NotAllowed(f"submitting flash order reference {ref!r}",
                                 "it was already used through the plain stock or limit port",
                                 rule="FS-5")
            self.stock.level(sale_id, sku_id)  # NotFound before anything changes
            try:
                self.limits.use(sale_id, customer_id, sku_id, quantity, ref, limit=limit)
            except LimitReached:
                answer = FlashAdmission(Admission.OVER_LIMIT,
                                        used=self.limits.used(sale_id, customer_id, sku_id))
            else:
                if self.stock.reserve(sale_id, sku_id, quantity, ref):
                    answer = ADMITTED
                else:
                    self.limits.give_back(ref)
                    answer = FlashAdmission(Admission.SOLD_OUT,
                                            remaining=self.stock.remaining(sale_id, sku_id))
            self._answers[ref] = (args, answer)
            return answer

    def pay(self, sale_id: str, ref: str) -> bool:
        with self._lock:
            if not self._in_sale(sale_id, ref):
                raise NotFound(f"confirming flash reservation {ref!r}",
                               f"nothing was reserved in sale {sale_id!r}", rule="FS-5")
            return self._confirm(ref)

    def close(self, sale_id: str, ref: str, *, return_limit: bool) -> bool:
        with self._lock:
            if not self._in_sale(sale_id, ref):
                return False
            released = self.stock.release(ref)
            if return_limit:
                self.limits.give_back(ref)
            return released

    def _in_sale(self, sale_id: str, ref: str) -> bool:
        known = self.stock.lookup(ref) or self.limits.lookup(ref)
        return known is not None and known.sale_id == sale_id


def _reused(ref: str, first: tuple[str, str, str, int]) -> NotAllowed:
    sale_id, sku_id, customer_id, quantity = first
    return NotAllowed(
        f"submitting flash order reference {ref!r}",
        f"{ref!r} was submitted for {quantity} of SKU {sku_id!r} by customer {customer_id!r} "
        f"in sale {sale_id!r}; a reference is one submission",
        rule="FS-5",
    )


def reused(ref: str, sale_id: str, sku_id: str, customer_id: str, quantity: int) -> NotAllowed:
    """The refusal of a reference reused with other arguments, the same for every gate."""
    return _reused(ref, (sale_id, sku_id, customer_id, quantity))


# ------------------------------------------------------ FS-3 reservations
@attrs.frozen
class FlashReservation:
    """A submitted, unpaid flash line: its stock is held until ``pay_by`` (FS-3)."""

    ref: str
    sale_id: str
    sku_id: str
    customer_id: str
    quantity: int
    reserved_at: datetime
    pay_by: datetime

    def expired(self, now: datetime) -> bool:
        return aware(now) >= self.pay_by


def expired_reservations(
    reservations: Iterable[FlashReservation], now: datetime
) -> list[FlashReservation]:
    """FS-3: the reservations whose payment time is up at ``now`` (their orders close).

    Pure: the caller (or ``FlashSaleRule.close_expired``) releases their stock.
    """
    aware(now)
    return [r for r in reservations if now >= r.pay_by]


# ------------------------------------------------------------ the rule
class FlashSaleRule:
    """A ``LinePriceRule`` for one flash sale, plus the order-side steps that change state.

    Construction loads the sale's stock into ``stock`` (a no-op when it already
    holds the same numbers, so every app server may build its own rule).  When
    ``stock`` is a ``FlashGate`` and ``limits`` is omitted or the same object,
    submission, payment and closing are one gate call each (one atomic step in
    a shared store); otherwise the limit and the stock are two steps, the first
    undone when the second refuses.  Either way the refusals are the same.
    """

    def __init__(
        self, sale: FlashSale, stock: FlashStock, limits: FlashLimitLedger | None = None
    ) -> None:
        if not isinstance(sale, FlashSale):
            raise InvalidInput("flash sale rule", f"{sale!r} is not a FlashSale", rule="FS-1")
        gate = stock if isinstance(stock, FlashGate) and limits in (None, stock) else None
        if limits is None:
            if gate is None:
                raise InvalidInput(
                    f"flash sale rule {sale.id!r}",
                    "needs a limits ledger unless its stock is a FlashGate that keeps both",
                    rule="FS-2",
                )
            limits = gate
        self.sale = sale
        self.stock = stock
        self.limits = limits
        self.gate: FlashGate | None = gate
        for item in sale.items:
            stock.load(sale.id, item.sku_id, item.stock)

    @property
    def id(self) -> str:
        return self.sale.id

    @property
    def name(self) -> str:
        return self.sale.name

    @property
    def kind(self) -> str:
        return FLASH_SALE_KIND

    # ---------------------------------------------------------- pricing
    def price_line(
        self, line: CartLine, buyer: Buyer, now: datetime
    ) -> LinePrice | LineSkip | None:
        """Stage 1 (PIPE-1): flash price × quantity, or why not.  Changes nothing."""
        return self.price_lines((line,), buyer, now)[0]

    def price_lines(
        self, lines: Sequence[CartLine], buyer: Buyer, now: datetime
    ) -> list[LinePrice | LineSkip | None]:
        """Stage 1 for a whole cart.  The limit (FS-2) and the stock (FS-5) are judged
        on the cart's quantity of each SKU over every line the flash price would
        take, as if its lines were one: limit 2 with lines of 1 and 2 prices
        neither at the flash price (over the limit a line is never split, and two
        lines are not a way around that).  Changes nothing."""
        sale = self.sale
        wanted: dict[str, list[int]] = {}  # SKU -> [quantity, lines] of flash-priceable lines
        checked: list[tuple[CartLine, FlashSaleItem, int] | LineSkip | None] = []
        for line in lines:
            found = sale._by_sku.get(line.sku_id)
            if found is None:
                checked.append(None)
                continue
            item, price = found
            if not sale.window.is_active(now):  # FS-1: the normal price returns
                checked.append(LineSkip(SkipReason.OUTSIDE_WINDOW, sale.window.describe()))
                continue
            if line.currency != sale.currency:
                raise CurrencyMismatch(
                    f"flash sale {sale.id!r}",
                    f"in {sale.currency}, the cart is in {line.currency}",
                )
            if price >= line.unit_fen:
                checked.append(LineSkip(
                    SkipReason.NOTHING_TO_DISCOUNT,
                    f"flash price {format_yuan(price)} of {line.sku_id} is not below its list "
                    f"price {format_yuan(line.unit_fen)}; the normal price applies",
                ))
                continue
            total = wanted.setdefault(line.sku_id, [0, 0])
            total[0] += line.quantity
            total[1] += 1
            checked.append((line, item, price))
        verdicts: dict[str, LineSkip | None] = {
            sku: self._judge(sku, quantity, count, buyer)
            for sku, (quantity, count) in wanted.items()
        }
        out: list[LinePrice | LineSkip | None] = []
        for entry in checked:
            if entry is None or isinstance(entry, LineSkip):
                out.append(entry)
                continue
            line, item, price = entry
            skip = verdicts[line.sku_id]
            out.append(skip if skip is not None else LinePrice(
                price * line.quantity, FLASH_SALE,
                f"{line.sku_id}: flash price {format_yuan(price)} × {line.quantity}"))
        return out

    def _judge(self, sku_id: str, quantity: int, lines: int, buyer: Buyer) -> LineSkip | None:
        """FS-2 and FS-5 for ``quantity`` of ``sku_id`` over ``lines`` cart lines."""
        sale = self.sale
        asked = f"{quantity} asked" if lines == 1 else f"{quantity} asked over {lines} lines"
        limit = sale._by_sku[sku_id][0].per_user_limit
        if limit is not None:
            if buyer.customer_id is None:
                return LineSkip(
                    SkipReason.CUSTOMER_NOT_ELIGIBLE,
                    f"{sku_id} is limited to {limit} per customer; a guest cannot be counted",
                )
            used = self.limits.used(sale.id, buyer.customer_id, sku_id)
            if used + quantity > limit:
                return LineSkip(
                    SkipReason.LIMIT_REACHED,
                    f"{sku_id}: limit {limit} per customer, {used} already ordered, {asked}",
                )
        left = self.stock.remaining(sale.id, sku_id)
        if left < quantity:
            detail = _short(sku_id, left, quantity)
            return LineSkip(SkipReason.LIMIT_REACHED,
                            detail if lines == 1 else f"{detail} over {lines} lines")
        return None

    # --------------------------------------------------- order-side steps
    def submit(
        self, customer_id: str, sku_id: str, quantity: int, ref: str, *, now: datetime
    ) -> FlashReservation:
        """Order submission of one flash line: use the limit (FS-2), hold the stock
        (FS-5), all or nothing.  Refused with ``LimitReached`` past the limit (FS-2)
        or when sold out (FS-5), ``NotAllowed`` outside the window.  A retry with
        the same ``ref`` holds nothing twice and is refused if its first attempt
        was; a ref whose order was closed is spent (``NotAllowed``)."""
        aware(now)
        sale = self.sale
        item = sale.item(sku_id)
        customer_id = identifier(customer_id, "customer id", "FS-2")
        quantity = whole(quantity, f"flash quantity of SKU {sku_id!r}", "FS-2", minimum=1)
        if not sale.window.is_active(now):
            raise NotAllowed(f"flash sale {sale.id!r}",
                             f"is not on at {now.isoformat()} ({sale.window.describe()})",
                             rule="FS-1")
        if self.gate is not None:
            self._admit(self.gate.submit(sale.id, sku_id, customer_id, quantity, ref,
                                         limit=item.per_user_limit),
                        customer_id, sku_id, quantity, ref)
        else:
            self._two_steps(customer_id, item, quantity, ref)
        return FlashReservation(ref, sale.id, sku_id, customer_id, quantity, now,
                                now + sale.payment_timeout)

    def _admit(self, answer: FlashAdmission, customer_id: str, sku_id: str, quantity: int,
               ref: str) -> None:
        outcome = answer.outcome
        if outcome is Admission.HELD:
            return
        sale = self.sale
        if outcome is Admission.OVER_LIMIT:
            limit = sale.item(sku_id).per_user_limit
            assert limit is not None  # an unlimited SKU is never over its limit
            raise over_limit(sale.id, customer_id, sku_id, limit, answer.used, quantity)
        if outcome is Admission.SOLD_OUT:
            raise sold_out(sale.id, sku_id, answer.remaining, quantity)
        raise spent(ref)

    def _two_steps(self, customer_id: str, item: FlashSaleItem, quantity: int, ref: str) -> None:
        sale, sku_id = self.sale, item.sku_id
        self.limits.use(sale.id, customer_id, sku_id, quantity, ref, limit=item.per_user_limit)
        try:
            held = self.stock.reserve(sale.id, sku_id, quantity, ref)
        except BaseException:
            self.limits.give_back(ref)
            raise
        if not held:
            self.limits.give_back(ref)
            raise sold_out(sale.id, sku_id, self.stock.remaining(sale.id, sku_id), quantity)

    def pay(self, ref: str) -> bool:
        """The order was paid: held → sold, the limit kept.  False on a repeat; a
        closed (released) reservation is refused: its stock may be sold again (FS-3)."""
        if self.gate is not None:
            return self.gate.pay(self.sale.id, ref)
        sold = self.stock.confirm(ref)
        self.limits.confirm(ref)
        return sold

    def close_unpaid(self, ref: str) -> bool:
        """An unpaid order closed (timeout or cancel): stock back (FS-3) and, unless
        the sale says otherwise, the limit back.  True if stock was released."""
        if self.gate is not None:
            return self.gate.close(self.sale.id, ref,
                                   return_limit=self.sale.return_limit_on_close)
        released = self.stock.release(ref)
        if self.sale.return_limit_on_close:
            self.limits.give_back(ref)
        return released

    def close_expired(
        self, reservations: Iterable[FlashReservation], now: datetime
    ) -> tuple[FlashReservation, ...]:
        """FS-3: close this sale's reservations whose time is up; returns the ones
        whose stock this call released (already paid or closed ones are left alone)."""
        return tuple(
            r for r in expired_reservations(reservations, now)
            if r.sale_id == self.sale.id and self.close_unpaid(r.ref)
        )


def _short(sku_id: str, left: int, quantity: int) -> str:
    if left <= 0:
        return f"{sku_id}: sold out"
    return f"{sku_id}: only {left} flash units left, {quantity} asked"


# ------------------------------------------------------------ FS-4 reminders
@attrs.frozen
class FlashSubscription:
    """A buyer asked to be reminded (秒杀预约); ``sku_id`` None means the whole sale."""

    sale_id: str
    customer_id: str
    sku_id: str | None = None


@attrs.frozen
class FlashReminder:
    """One reminder to send (by SMS): one per sale, customer and occurrence."""

    sale_id: str
    customer_id: str
    sku_ids: tuple[str, ...]  # the SKUs subscribed to, sorted; empty for the whole sale
    starts_at: datetime
    send_at: datetime

    @property
    def key(self) -> tuple[str, str, datetime]:
        """(sale, customer, occurrence): an adapter may keep these to be doubly sure."""
        return (self.sale_id, self.customer_id, self.starts_at)


def reminders_due(
    sales: Iterable[FlashSale],
    subscriptions: Iterable[FlashSubscription],
    since: datetime,
    until: datetime,
) -> list[FlashReminder]:
    """FS-4: reminders whose send time (start − ``remind_before``) falls in ``(since, until]``.

    Half-open, so a scheduler that polls ``(t0, t1]``, ``(t1, t2]``, … sends each
    reminder exactly once; within a call, one reminder per (sale, customer,
    occurrence) gathers the customer's SKUs.  Subscriptions to a sale not in
    ``sales`` or to a SKU not in its sale are ignored (the sale ended or changed).
    Sorted by send time, then sale and customer.
    """
    aware(since, "reminders since")
    aware(until, "reminders until")
    if until < since:
        raise InvalidInput("reminder period", f"ends {until.isoformat()} before it starts "
                           f"{since.isoformat()}", rule="FS-4")
    by_id: dict[str, FlashSale] = {}
    for sale in sales:
        if sale.id in by_id and by_id[sale.id] != sale:
            raise InvalidInput("reminder sales", f"two different sales share id {sale.id!r}",
                               rule="FS-4")
        by_id[sale.id] = sale
    wanted: dict[tuple[str, str], set[str]] = {}
    for sub in subscriptions:
        sale_or_none = by_id.get(sub.sale_id)
        if sale_or_none is None or sale_or_none.remind_before is None:
            continue
        if sub.sku_id is not None and sub.sku_id not in sale_or_none.sku_ids:
            continue
        skus = wanted.setdefault((sub.sale_id, sub.customer_id), set())
        if sub.sku_id is not None:
            skus.add(sub.sku_id)
    starts: dict[str, tuple[datetime, ...]] = {}
    out: list[FlashReminder] = []
    for (sale_id, customer_id), skus in wanted.items():
        sale = by_id[sale_id]
        before = sale.remind_before
        assert before is not None  # filtered above
        if sale_id not in starts:
            starts[sale_id] = sale.starts_between(since + before, until + before)
        out.extend(
            FlashReminder(sale_id, customer_id, tuple(sorted(skus)), start, start - before)
            for start in starts[sale_id]
        )
    out.sort(key=lambda r: (r.send_at, r.sale_id, r.customer_id))
    return out
