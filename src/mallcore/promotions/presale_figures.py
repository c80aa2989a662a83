"""Pre-sale figures and their export (PRE-5), computed from orders.

The seed's data page: 预售商品总数 (pre-sale items ordered and paid, for
stocking), 预售订单总数 (orders), 预售总人数 (buyers), 成交总金额 (turnover), and
per order the pre-sale item count, buyer, payment time, ship-from date (PRE-3)
and the order total; the merchant can export the paid orders.

Readings (**Interpretation**):

* An order is a pre-sale order when it was placed while the pre-sale was in
  progress and has a line priced as a pre-sale line (family ``pre_sale``) of one
  of its SKUs: the same SKU bought at the normal price is not a pre-sale sale.
* Only paid orders count ("下单并支付"): paid, shipped or completed.  A closed
  order (cancelled, refunded, refused for stock) drops out, paid or not: the
  figures are for preparing stock.
* Turnover and the order total are what the order was paid, the whole order as
  the seed says (its 650 example mixes pre-sale, normal and flash-sale goods),
  gross of partial refunds.  ``presale_fen`` adds what the seed promises for
  later: the amount of the pre-sale lines alone (their final priced amount).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Protocol

import attrs

from mallcore.errors import CurrencyMismatch
from mallcore.money import Money, format_yuan, from_fen
from mallcore.orders.status import OrderStatus
from mallcore.promotions.presale import KIND, PreSale

__all__ = [
    "COLUMNS",
    "COUNTED_STATUSES",
    "PreSaleFigures",
    "PreSaleOrder",
    "PreSaleOrderLine",
    "PreSaleOrderRow",
    "presale_figures",
]

#: Orders in these statuses are paid and still stand (PRE-5).
COUNTED_STATUSES = frozenset({OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED})

COLUMNS = (
    "order_number",
    "customer_id",
    "paid_at",
    "presale_items",
    "ship_from",
    "order_total",
    "presale_total",
)


class PreSaleOrderLine(Protocol):
    """What the figures read of an order line (``OrderLine`` fits)."""

    @property
    def line_id(self) -> str: ...

    @property
    def sku_id(self) -> str: ...

    @property
    def quantity(self) -> int: ...

    @property
    def family(self) -> str: ...

    @property
    def priced_fen(self) -> int: ...


class PreSaleOrder(Protocol):
    """What the figures read of an order (``mallcore.orders.order.Order`` fits)."""

    @property
    def number(self) -> str: ...

    @property
    def customer_id(self) -> str: ...

    @property
    def status(self) -> OrderStatus: ...

    @property
    def currency(self) -> str: ...

    @property
    def placed_at(self) -> datetime: ...

    @property
    def paid_at(self) -> datetime | None: ...

    @property
    def paid_fen(self) -> int: ...

    @property
    def lines(self) -> Sequence[PreSaleOrderLine]: ...


@attrs.frozen
class PreSaleOrderRow:
    """One paid pre-sale order, as the data page lists it."""

    order_number: str
    customer_id: str
    paid_at: datetime
    items: int  # 购买商品数: pre-sale units in this order
    ship_from: date  # 开始发货时间 (PRE-3)
    order_total_fen: int  # 订单总额: what the whole order was paid
    presale_fen: int  # the pre-sale lines alone


@attrs.frozen
class PreSaleFigures:
    """PRE-5 figures of one pre-sale; ``rows`` in payment order."""

    presale_id: str
    currency: str
    rows: tuple[PreSaleOrderRow, ...]

    @property
    def items_sold(self) -> int:
        return sum(r.items for r in self.rows)

    @property
    def orders(self) -> int:
        return len(self.rows)

    @property
    def buyers(self) -> int:
        return len({r.customer_id for r in self.rows})

    @property
    def turnover_fen(self) -> int:
        return sum(r.order_total_fen for r in self.rows)

    @property
    def turnover(self) -> Money:
        return from_fen(self.turnover_fen, self.currency)

    @property
    def first_ship_date(self) -> date | None:
        return min((r.ship_from for r in self.rows), default=None)

    def export_csv(self) -> str:
        """The paid orders as CSV (header ``COLUMNS``): amounts in yuan with two
        decimals, times and dates in ISO 8601.  Cells a spreadsheet would run as a
        formula are prefixed with ``'``; encode as ``utf-8-sig`` for Excel."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for r in self.rows:
            writer.writerow(
                [
                    _cell(r.order_number),
                    _cell(r.customer_id),
                    r.paid_at.isoformat(),
                    str(r.items),
                    r.ship_from.isoformat(),
                    format_yuan(r.order_total_fen),
                    format_yuan(r.presale_fen),
                ]
            )
        return out.getvalue()


def _cell(text: str) -> str:
    """Defuse spreadsheet formulas: a leading =, +, -, @, tab or CR gets a ``'``."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def presale_figures(presale: PreSale, orders: Iterable[PreSaleOrder]) -> PreSaleFigures:
    """PRE-5 figures of ``presale`` over ``orders`` (any orders: the others are ignored)."""
    skus = presale.skus
    rows: list[PreSaleOrderRow] = []
    for order in orders:
        if order.status not in COUNTED_STATUSES or order.paid_at is None:
            continue
        if not presale.window.is_active(order.placed_at):
            continue
        mine = [ln for ln in order.lines if ln.family == KIND and ln.sku_id in skus]
        if not mine:
            continue
        if order.currency != presale.currency:
            raise CurrencyMismatch(
                f"order {order.number}",
                f"in {order.currency}, pre-sale {presale.id!r} is in {presale.currency}",
            )
        rows.append(
            PreSaleOrderRow(
                order.number,
                order.customer_id,
                order.paid_at,
                sum(ln.quantity for ln in mine),
                presale.ship_date(order.paid_at),
                order.paid_fen,
                sum(ln.priced_fen for ln in mine),
            )
        )
    rows.sort(key=lambda r: (r.paid_at, r.order_number))
    return PreSaleFigures(presale.id, presale.currency, tuple(rows))
