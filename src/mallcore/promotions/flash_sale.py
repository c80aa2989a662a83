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

from collections.abc import Iterable
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
from mallcore.promotions.flash_stock import FlashStock
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
                raise LimitReached(
                    f"flash SKU {sku_id!r} in sale {sale_id!r} for customer {customer_id!r}",
                    f"limit {limit} per customer, {already} already ordered, {quantity} asked",
                    rule="FS-2",
                )
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

    def _count(self, key: tuple[str, str, str]) -> int:
        """The check (lock held), a seam of its own so tests can widen the race window."""
        return self._used.get(key, 0)


def _limit_key(sale_id: str, customer_id: str, sku_id: str) -> tuple[str, str, str]:
    return (identifier(sale_id, "flash sale id", "FS-2"),
            identifier(customer_id, "customer id", "FS-2"),
            identifier(sku_id, "flash SKU", "FS-2"))


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
    holds the same numbers, so every app server may build its own rule).
    """

    def __init__(self, sale: FlashSale, stock: FlashStock, limits: FlashLimitLedger) -> None:
        if not isinstance(sale, FlashSale):
            raise InvalidInput("flash sale rule", f"{sale!r} is not a FlashSale", rule="FS-1")
        self.sale = sale
        self.stock = stock
        self.limits = limits
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
        sale = self.sale
        found = sale._by_sku.get(line.sku_id)
        if found is None:
            return None
        item, price = found
        if not sale.window.is_active(now):  # FS-1: the normal price returns
            return LineSkip(SkipReason.OUTSIDE_WINDOW, sale.window.describe())
        if line.currency != sale.currency:
            raise CurrencyMismatch(
                f"flash sale {sale.id!r}", f"in {sale.currency}, the cart is in {line.currency}"
            )
        if price >= line.unit_fen:
            return LineSkip(
                SkipReason.NOTHING_TO_DISCOUNT,
                f"flash price {format_yuan(price)} of {line.sku_id} is not below its list "
                f"price {format_yuan(line.unit_fen)}; the normal price applies",
            )
        quantity = line.quantity
        limit = item.per_user_limit
        if limit is not None:
            if buyer.customer_id is None:
                return LineSkip(
                    SkipReason.CUSTOMER_NOT_ELIGIBLE,
                    f"{line.sku_id} is limited to {limit} per customer; a guest cannot be "
                    "counted",
                )
            used = self.limits.used(sale.id, buyer.customer_id, line.sku_id)
            if used + quantity > limit:
                return LineSkip(
                    SkipReason.LIMIT_REACHED,
                    f"{line.sku_id}: limit {limit} per customer, {used} already ordered, "
                    f"{quantity} asked",
                )
        left = self.stock.remaining(sale.id, line.sku_id)
        if left < quantity:
            return LineSkip(SkipReason.LIMIT_REACHED, _short(line.sku_id, left, quantity))
        return LinePrice(price * quantity, FLASH_SALE,
                         f"{line.sku_id}: flash price {format_yuan(price)} × {quantity}")

    # --------------------------------------------------- order-side steps
    def submit(
        self, customer_id: str, sku_id: str, quantity: int, ref: str, *, now: datetime
    ) -> FlashReservation:
        """Order submission of one flash line: use the limit (FS-2), hold the stock
        (FS-5), all or nothing.  Refused with ``LimitReached`` past the limit or when
        sold out, ``NotAllowed`` outside the window.  A retry with the same ``ref``
        holds nothing twice; a ref whose attempt was refused or closed is spent."""
        aware(now)
        sale = self.sale
        item = sale.item(sku_id)
        customer_id = identifier(customer_id, "customer id", "FS-2")
        quantity = whole(quantity, f"flash quantity of SKU {sku_id!r}", "FS-2", minimum=1)
        if not sale.window.is_active(now):
            raise NotAllowed(f"flash sale {sale.id!r}",
                             f"is not on at {now.isoformat()} ({sale.window.describe()})",
                             rule="FS-1")
        self.limits.use(sale.id, customer_id, sku_id, quantity, ref, limit=item.per_user_limit)
        try:
            held = self.stock.reserve(sale.id, sku_id, quantity, ref)
        except BaseException:
            self.limits.give_back(ref)
            raise
        if not held:
            self.limits.give_back(ref)
            left = self.stock.remaining(sale.id, sku_id)
            raise LimitReached(f"flash SKU {sku_id!r} in sale {sale.id!r}",
                               _short(sku_id, left, quantity), rule="FS-5")
        return FlashReservation(ref, sale.id, sku_id, customer_id, quantity, now,
                                now + sale.payment_timeout)

    def pay(self, ref: str) -> bool:
        """The order was paid: held → sold, the limit kept.  False on a repeat; a
        closed (released) reservation is refused: its stock may be sold again (FS-3)."""
        sold = self.stock.confirm(ref)
        self.limits.confirm(ref)
        return sold

    def close_unpaid(self, ref: str) -> bool:
        """An unpaid order closed (timeout or cancel): stock back (FS-3) and, unless
        the sale says otherwise, the limit back.  True if stock was released."""
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
