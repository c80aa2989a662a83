"""Order search for the back office: quick filters, field filters, action counts (ORD-10).

Search runs over ``OrderSummary`` read models, never over the order aggregate.
An ``OrderQuery`` is a conjunction: every field that is set must match, and an
unset field (``None`` or an empty set) does not filter.  Each field has one
simple meaning, stated in the class docstring, so a storage adapter can translate
the same query to SQL field by field and return the same orders in the same order:

* ``quick`` — the quick filter's predicate holds (see ``QuickFilter``);
* ``statuses`` / ``logistics`` / ``star_colours`` — the order's value is one of
  them (``status IN (…)``; an unstarred order never matches a colour);
* ``payment_methods`` / ``product_types`` / ``activity_types`` — the order's set
  shares at least one of them (``EXISTS (… IN (…))``);
* ``placed_from`` / ``placed_to`` — ``placed_from <= placed_at < placed_to``
  (half-open); ``paid_from`` / ``paid_to`` the same on ``paid_at``, and an unpaid
  order never matches them;
* ``total_min`` / ``total_max`` — ``total_min <= total_fen <= total_max``
  (inclusive; compare ``total_min_fen`` / ``total_max_fen``);
* ``number`` — equals the order number;
* ``payment_id``, ``product_id``, ``category``, ``brand``, ``tracking_number``,
  ``sku_id`` — equals one member of the order's matching set (``EXISTS (… = :q)``);
* ``product_name``, ``consignee`` — a substring, compared after ``str.lower()``
  on both sides (``lower(x) LIKE '%' || lower(:q) || '%'``, with ``%`` and ``_``
  escaped);
* ``phone`` — 4 or more digits the order's phone ends with (``phone LIKE '%' || :q``).

Results sort by ``order_by`` (``placed_at`` or ``total``; descending unless
``descending=False``) with the order number as tie-break in the same direction,
then ``offset`` / ``limit`` apply: the order is total, so paging never repeats
or skips an order.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import datetime

import attrs
from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped, unused-ignore]

from mallcore.errors import CurrencyMismatch, InvalidInput, MallcoreError
from mallcore.guards import aware, identifier, whole
from mallcore.money import DEFAULT_CURRENCY, Money, to_fen
from mallcore.orders.summary import (
    LOGISTICS_STATUSES,
    ORDER_STATUSES,
    PRODUCT_TYPES,
    OrderSummary,
    check_choice,
    check_text_set,
    text_set,
)

__all__ = [
    "ORDER_BY",
    "ActionCounts",
    "OrderQuery",
    "QuickFilter",
    "action_counts",
    "last_3_months_start",
    "run",
]

RULE = "ORD-10"
#: The sort keys ``OrderQuery.order_by`` accepts.
ORDER_BY: tuple[str, ...] = ("placed_at", "total")
MIN_PHONE_DIGITS = 4
_DIGITS = re.compile(r"[0-9]+")


def last_3_months_start(now: datetime) -> datetime:
    """The first instant of "last 3 months" (近三个月): ``now`` minus 3 calendar months.

    Calendar months in ``now``'s own time zone (pass the shop's local time), with
    the day clamped to the month's end: 31 May → 29 Feb in a leap year.  Orders
    placed at or after this instant are in; there is no upper bound.
    """
    aware(now, "now", RULE)
    start: datetime = now - relativedelta(months=3)
    return start


class QuickFilter(enum.Enum):
    """The 8 quick filters of the order list (004 普通搜索), each one predicate.

    * ``LAST_3_MONTHS`` (近三个月): ``placed_at >= last_3_months_start(now)``.
    * ``UNPAID`` (未付款): status ``pending_payment``.
    * ``TO_SHIP`` (待发货): status ``paid`` — paid, not yet (fully) shipped; a
      partially shipped order still has goods to ship.
    * ``SHIPPED`` (已发货): status ``shipped`` — awaiting receipt.
    * ``COMPLETED`` (已完成): status ``completed``.
    * ``CLOSED`` (已关闭): status ``closed``.
    * ``REFUND_REQUESTS`` (退单申请): the buyer asked and the merchant has not
      decided: ``open_after_sales > 0 or refund_requested``, whatever the status.
    * ``STARRED`` (星标订单): it has a star of any colour (``star IS NOT NULL``).
    """

    LAST_3_MONTHS = "last_3_months"
    UNPAID = "unpaid"
    TO_SHIP = "to_ship"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CLOSED = "closed"
    REFUND_REQUESTS = "refund_requests"
    STARRED = "starred"

    @property
    def status(self) -> str | None:
        """The one order status this filter stands for, or ``None`` if it is not one."""
        return _QUICK_STATUS.get(self)

    def matches(self, summary: OrderSummary, now: datetime) -> bool:
        """Whether ``summary`` passes this filter; ``now`` (aware) anchors LAST_3_MONTHS."""
        since = last_3_months_start(now) if self is QuickFilter.LAST_3_MONTHS else None
        return self.holds(summary, since)

    def holds(self, summary: OrderSummary, since: datetime | None) -> bool:
        """``matches`` with the LAST_3_MONTHS boundary already computed."""
        if self is QuickFilter.LAST_3_MONTHS:
            if since is None:
                raise InvalidInput("now", "last 3 months needs a reference time", rule=RULE)
            return summary.placed_at >= since
        if self is QuickFilter.REFUND_REQUESTS:
            return _awaits_refund_decision(summary)
        if self is QuickFilter.STARRED:
            return summary.star is not None
        return summary.status == _QUICK_STATUS[self]


_QUICK_STATUS: dict[QuickFilter, str] = {
    QuickFilter.UNPAID: "pending_payment",
    QuickFilter.TO_SHIP: "paid",
    QuickFilter.SHIPPED: "shipped",
    QuickFilter.COMPLETED: "completed",
    QuickFilter.CLOSED: "closed",
}


def _awaits_refund_decision(summary: OrderSummary) -> bool:
    return summary.open_after_sales > 0 or summary.refund_requested


# --- validation helpers -----------------------------------------------------------


def _check_span(start: datetime | None, end: datetime | None, what: str) -> None:
    if start is not None:
        aware(start, f"{what}_from", RULE)
    if end is not None:
        aware(end, f"{what}_to", RULE)
    if start is not None and end is not None and start > end:
        raise InvalidInput(
            f"{what}_from",
            f"{start.isoformat()} is after {what}_to {end.isoformat()}",
            rule=RULE,
        )


def _amount_fen(value: object, what: str, currency: str) -> int:
    """Exact fen of a non-negative Money in ``currency``; floats and others refused."""
    if isinstance(value, float):
        raise InvalidInput(
            what, f"{value!r} is a float; give Money built with mallcore.money.money()", rule=RULE
        )
    if not isinstance(value, Money):
        raise InvalidInput(
            what, f"{value!r} is not Money; build it with mallcore.money.money()", rule=RULE
        )
    try:
        fen = to_fen(value, currency, what=what)
    except CurrencyMismatch as exc:
        raise CurrencyMismatch(what, exc.reason, rule=RULE) from exc
    except MallcoreError as exc:
        raise InvalidInput(what, exc.reason, rule=RULE) from exc
    if fen < 0:
        raise InvalidInput(what, f"{value.amount} is negative", rule=RULE)
    return fen


def _within(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    """``start <= moment < end``, an unset bound being open."""
    return (start is None or moment >= start) and (end is None or moment < end)


_TEXT_FIELDS = (
    "payment_id",
    "number",
    "product_id",
    "product_name",
    "category",
    "brand",
    "consignee",
    "tracking_number",
    "sku_id",
)
_SET_FIELDS = (
    "statuses",
    "logistics",
    "payment_methods",
    "product_types",
    "activity_types",
    "star_colours",
)


@attrs.frozen(kw_only=True)
class OrderQuery:
    """One back-office order search (004 高级搜索): every set field must match (AND).

    Unset fields — ``None``, or an empty set — do not filter, so ``OrderQuery()``
    matches every order.  Within a set field the values are alternatives (OR):
    ``statuses={"paid", "shipped"}`` is "paid or shipped".  All fields are
    keyword-only and validated at construction; every refusal is an
    ``InvalidInput`` naming the field and citing ORD-10.

    Attributes:
        quick: one quick filter (``QuickFilter``); combines with the rest by AND.
        statuses: ``status`` is one of these ORD-1 values.
        logistics: ``logistics`` is one of these ORD-4 values.
        payment_methods: the order's ``payment_methods`` share at least one.
        product_types: the order's ``product_types`` share at least one
            (``physical``, ``virtual``).
        activity_types: the order's ``activity_types`` share at least one.
        star_colours: ``star`` is one of these; an unstarred order never matches.
        placed_from, placed_to: ``placed_from <= placed_at < placed_to`` (aware;
            half-open, so consecutive days never share an order).
        paid_from, paid_to: the same on ``paid_at``; an unpaid order never matches.
        total_min, total_max: ``total_min <= total <= total_max``, inclusive,
            ``Money`` in ``currency``; ``total_min_fen`` / ``total_max_fen`` give fen.
        payment_id: equals one of the order's ``payment_ids`` (gateway / payment no.).
        number: equals the order number.
        product_id: equals one of the order's ``product_ids``.
        product_name: contained in one of the order's ``product_names``, ignoring
            case (both sides ``str.lower()``, like SQL ``lower(name) LIKE '%q%'``).
        category: equals one of the order's ``categories``.
        brand: equals one of the order's ``brands``.
        phone: 4 or more ASCII digits; the order's phone ends with them.  A full
            number therefore matches exactly, and "5678" finds every phone ending
            in 5678 (what a merchant reads off a parcel).  Fewer than 4 digits is
            refused: it would match a tenth to a thousandth of all orders.
        consignee: contained in the consignee name, ignoring case as above.
        tracking_number: equals one of the order's ``tracking_numbers``.
        sku_id: equals one of the order's ``sku_ids``.
        order_by: ``"placed_at"`` (default) or ``"total"``.
        descending: newest / largest first (default); the order number breaks
            ties in the same direction.
        offset: matches to skip after sorting (≥ 0).
        limit: at most this many results (≥ 0), ``None`` for all.
        currency: the shop currency of ``total_fen``; amounts in another are refused.
    """

    quick: QuickFilter | None = None
    statuses: frozenset[str] = attrs.field(default=frozenset(), converter=text_set)
    logistics: frozenset[str] = attrs.field(default=frozenset(), converter=text_set)
    payment_methods: frozenset[str] = attrs.field(default=frozenset(), converter=text_set)
    product_types: frozenset[str] = attrs.field(default=frozenset(), converter=text_set)
    activity_types: frozenset[str] = attrs.field(default=frozenset(), converter=text_set)
    star_colours: frozenset[str] = attrs.field(default=frozenset(), converter=text_set)
    placed_from: datetime | None = None
    placed_to: datetime | None = None
    paid_from: datetime | None = None
    paid_to: datetime | None = None
    total_min: Money | None = None
    total_max: Money | None = None
    payment_id: str | None = None
    number: str | None = None
    product_id: str | None = None
    product_name: str | None = None
    category: str | None = None
    brand: str | None = None
    phone: str | None = None
    consignee: str | None = None
    tracking_number: str | None = None
    sku_id: str | None = None
    order_by: str = "placed_at"
    descending: bool = True
    offset: int = 0
    limit: int | None = None
    currency: str = DEFAULT_CURRENCY
    _total_min_fen: int | None = attrs.field(init=False, default=None, repr=False, eq=False)
    _total_max_fen: int | None = attrs.field(init=False, default=None, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.quick is not None and not isinstance(self.quick, QuickFilter):
            raise InvalidInput("quick", f"{self.quick!r} is not a QuickFilter", rule=RULE)
        for name in _SET_FIELDS:
            check_text_set(getattr(self, name), name, RULE)
        for status in sorted(self.statuses):
            check_choice(status, ORDER_STATUSES, "statuses", RULE)
        for logistics in sorted(self.logistics):
            check_choice(logistics, LOGISTICS_STATUSES, "logistics", RULE)
        for kind in sorted(self.product_types):
            check_choice(kind, PRODUCT_TYPES, "product_types", RULE)
        _check_span(self.placed_from, self.placed_to, "placed")
        _check_span(self.paid_from, self.paid_to, "paid")
        low = (
            None
            if self.total_min is None
            else _amount_fen(self.total_min, "total_min", self.currency)
        )
        high = (
            None
            if self.total_max is None
            else _amount_fen(self.total_max, "total_max", self.currency)
        )
        if low is not None and high is not None and low > high:
            raise InvalidInput(
                "total_min", f"{self.total_min} is above total_max {self.total_max}", rule=RULE
            )
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if value is not None:
                identifier(value, name, RULE)
        if self.phone is not None and (
            not isinstance(self.phone, str)
            or not _DIGITS.fullmatch(self.phone)
            or len(self.phone) < MIN_PHONE_DIGITS
        ):
            raise InvalidInput(
                "phone",
                f"{self.phone!r} is not {MIN_PHONE_DIGITS} or more digits (a whole number "
                "or its last digits)",
                rule=RULE,
            )
        check_choice(self.order_by, ORDER_BY, "order_by", RULE)
        if not isinstance(self.descending, bool):
            raise InvalidInput("descending", f"{self.descending!r} is not True or False", rule=RULE)
        whole(self.offset, "offset", RULE)
        if self.limit is not None:
            whole(self.limit, "limit", RULE)
        object.__setattr__(self, "_total_min_fen", low)
        object.__setattr__(self, "_total_max_fen", high)

    @property
    def total_min_fen(self) -> int | None:
        """``total_min`` in fen (what ``total_fen`` is compared with), or ``None``."""
        return self._total_min_fen

    @property
    def total_max_fen(self) -> int | None:
        """``total_max`` in fen, or ``None``."""
        return self._total_max_fen

    def matches(self, summary: OrderSummary, now: datetime) -> bool:
        """Whether ``summary`` satisfies every set field; ``now`` (aware) anchors
        ``LAST_3_MONTHS`` and is checked even when unused, so a naive clock fails early.
        """
        return self._matches(summary, self._since(now))

    def _since(self, now: datetime) -> datetime | None:
        aware(now, "now", RULE)
        return last_3_months_start(now) if self.quick is QuickFilter.LAST_3_MONTHS else None

    def _matches(self, summary: OrderSummary, since: datetime | None) -> bool:
        """Field by field, in the order of the module table; the first miss decides."""
        s = summary
        if self.quick is not None and not self.quick.holds(s, since):
            return False
        if self.statuses and s.status not in self.statuses:
            return False
        if self.logistics and s.logistics not in self.logistics:
            return False
        if self.payment_methods and self.payment_methods.isdisjoint(s.payment_methods):
            return False
        if self.product_types and self.product_types.isdisjoint(s.product_types):
            return False
        if self.activity_types and self.activity_types.isdisjoint(s.activity_types):
            return False
        if self.star_colours and s.star not in self.star_colours:
            return False
        if not _within(s.placed_at, self.placed_from, self.placed_to):
            return False
        if (self.paid_from is not None or self.paid_to is not None) and (
            s.paid_at is None or not _within(s.paid_at, self.paid_from, self.paid_to)
        ):
            return False
        if self._total_min_fen is not None and s.total_fen < self._total_min_fen:
            return False
        if self._total_max_fen is not None and s.total_fen > self._total_max_fen:
            return False
        if self.payment_id is not None and self.payment_id not in s.payment_ids:
            return False
        if self.number is not None and s.number != self.number:
            return False
        if self.product_id is not None and self.product_id not in s.product_ids:
            return False
        if self.product_name is not None:
            part = self.product_name.lower()
            if not any(part in name.lower() for name in s.product_names):
                return False
        if self.category is not None and self.category not in s.categories:
            return False
        if self.brand is not None and self.brand not in s.brands:
            return False
        if self.phone is not None and (s.phone is None or not s.phone.endswith(self.phone)):
            return False
        if self.consignee is not None and (
            s.consignee is None or self.consignee.lower() not in s.consignee.lower()
        ):
            return False
        if self.tracking_number is not None and self.tracking_number not in s.tracking_numbers:
            return False
        return self.sku_id is None or self.sku_id in s.sku_ids

    def sort_key(self, summary: OrderSummary) -> tuple[datetime | int, str]:
        """The total order results follow (before ``descending`` is applied)."""
        primary: datetime | int = (
            summary.placed_at if self.order_by == "placed_at" else summary.total_fen
        )
        return (primary, summary.number)


def run(query: OrderQuery, summaries: Iterable[OrderSummary], now: datetime) -> list[OrderSummary]:
    """The page of orders ``query`` selects: filter, sort, then ``offset`` / ``limit``.

    The sort is total — ``order_by`` then the order number — so the result does
    not depend on the order of ``summaries``.  Order numbers must be unique: a
    duplicate is refused, since it would make that order ambiguous.
    """
    since = query._since(now)
    matched: list[OrderSummary] = []
    seen: set[str] = set()
    for summary in summaries:
        if not isinstance(summary, OrderSummary):
            raise InvalidInput(
                "summaries", f"{type(summary).__name__} is not an OrderSummary", rule=RULE
            )
        if summary.number in seen:
            raise InvalidInput(
                "summaries", f"order number {summary.number!r} appears twice", rule=RULE
            )
        seen.add(summary.number)
        if query._matches(summary, since):
            matched.append(summary)
    matched.sort(key=query.sort_key, reverse=query.descending)
    end = None if query.limit is None else query.offset + query.limit
    return matched[query.offset : end]


@attrs.frozen
class ActionCounts:
    """Orders awaiting someone's action (004 状态提示): the list's badges.

    Attributes:
        unpaid: ``QuickFilter.UNPAID`` — awaiting the buyer's payment.
        to_ship: ``QuickFilter.TO_SHIP`` — paid, awaiting the merchant's shipment.
        refund_requests: ``QuickFilter.REFUND_REQUESTS`` — awaiting the
            merchant's decision on a refund / after-sales request.
        awaiting_receipt: ``QuickFilter.SHIPPED`` — shipped, awaiting receipt.
        merchant_pending: orders to ship or with a refund request, each counted
            once — the total the seed shows on the 订单管理 menu entry.
    """

    unpaid: int
    to_ship: int
    refund_requests: int
    awaiting_receipt: int
    merchant_pending: int


def action_counts(summaries: Iterable[OrderSummary]) -> ActionCounts:
    """Count each action filter over ``summaries`` (no time window applies)."""
    unpaid = to_ship = refunds = receipt = merchant = 0
    for summary in summaries:
        unpaid += summary.status == "pending_payment"
        shipping = summary.status == "paid"
        refund = _awaits_refund_decision(summary)
        to_ship += shipping
        refunds += refund
        receipt += summary.status == "shipped"
        merchant += shipping or refund
    return ActionCounts(
        unpaid=unpaid,
        to_ship=to_ship,
        refund_requests=refunds,
        awaiting_receipt=receipt,
        merchant_pending=merchant,
    )
