"""PRE-5: pre-sale figures from orders, checked by hand and against a brute-force
count over random orders; the CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mallcore.errors import CurrencyMismatch
from mallcore.money import money
from mallcore.orders.order import Order, OrderLine, ReceiptBy
from mallcore.orders.payments import PaymentMethod, PaymentPart
from mallcore.orders.status import CloseReason, OrderStatus
from mallcore.promotions import Window
from mallcore.promotions.presale import PreSale, PreSaleItem, ShipAfterPayment, ShipOnDate
from mallcore.promotions.presale_figures import COLUMNS, PreSaleOrderRow, presale_figures

CST = timezone(timedelta(hours=8))
START = datetime(2026, 10, 20, tzinfo=CST)
END = datetime(2026, 11, 11, tzinfo=CST)
PRESALE = PreSale(
    "pre",
    "预售",
    Window(START, END),
    [PreSaleItem("cake", money("80")), PreSaleItem("tea", money("20"))],
    ShipAfterPayment(5),
)


def order_line(line_id: str, sku: str, qty: int, fen: int, family: str) -> OrderLine:
    return OrderLine(line_id, sku, f"p-{sku}", qty, (fen, fen, fen, fen, fen), family)


def make_order(
    number: str,
    customer: str,
    lines: Sequence[OrderLine],
    placed_at: datetime,
    fate: str,
    *,
    shipping_fen: int = 0,
    pay_after: timedelta = timedelta(minutes=5),
    currency: str = "CNY",
) -> Order:
    """An order placed at ``placed_at`` and taken to ``fate``."""
    order = Order(
        number, customer, lines, shipping_fen=shipping_fen, placed_at=placed_at, currency=currency
    )
    if fate == "unpaid":
        return order
    if fate == "closed_unpaid":
        order.close_unpaid(CloseReason.BUYER_CANCEL, placed_at + pay_after)
        return order
    paid_at = placed_at + pay_after
    parts = [PaymentPart(PaymentMethod.WECHAT, order.payable_fen)] if order.payable_fen else []
    order.pay(parts, transaction_id=f"t-{number}", now=paid_at)
    if fate == "cancelled":
        order.merchant_cancel(refund_number=f"rf-{number}", now=paid_at)
    if fate in ("shipped", "completed"):
        order.ship("s1", now=paid_at, carrier="SF", tracking_number="SF1")
    if fate == "completed":
        order.confirm_receipt(by=ReceiptBy.BUYER, now=paid_at + timedelta(days=1))
    return order


# RULES: PRE-5
def test_figures_of_a_small_shop_by_hand() -> None:
    at = datetime(2026, 11, 1, 9, 0, tzinfo=CST)
    orders = [
        # the seed's example: pre-sale 200, normal 300, flash sale 150 → order total 650
        make_order(
            "o1",
            "amy",
            [
                order_line("a", "cake", 2, 20000, "pre_sale"),
                order_line("b", "pot", 1, 30000, "regular"),
                order_line("c", "cup", 1, 15000, "flash_sale"),
            ],
            at,
            "paid",
        ),
        make_order(
            "o2",
            "amy",
            [order_line("a", "tea", 3, 6000, "pre_sale")],
            at + timedelta(hours=1),
            "completed",
            shipping_fen=800,
        ),
        make_order(
            "o3",
            "bob",
            [
                order_line("a", "cake", 1, 8000, "pre_sale"),
                order_line("b", "tea", 1, 2000, "pre_sale"),
            ],
            at,
            "shipped",
            pay_after=timedelta(days=2),
        ),
        make_order("o4", "cat", [order_line("a", "cake", 9, 72000, "pre_sale")], at, "unpaid"),
        make_order("o5", "dan", [order_line("a", "cake", 9, 72000, "pre_sale")], at, "cancelled"),
        make_order("o6", "eve", [order_line("a", "cake", 1, 10000, "regular")], at, "paid"),
        make_order(
            "o7",
            "fay",
            [order_line("a", "cake", 1, 8000, "pre_sale")],
            END + timedelta(days=1),
            "paid",
        ),  # placed after the pre-sale ended
    ]
    figures = presale_figures(PRESALE, orders)
    assert (figures.items_sold, figures.orders, figures.buyers) == (7, 3, 2)
    assert figures.turnover_fen == 65000 + 6800 + 10000
    assert figures.turnover == money("818.00")
    paid = at + timedelta(minutes=5)
    assert figures.rows == (
        PreSaleOrderRow("o1", "amy", paid, 2, date(2026, 11, 6), 65000, 20000),
        PreSaleOrderRow("o2", "amy", paid + timedelta(hours=1), 3, date(2026, 11, 6), 6800, 6000),
        PreSaleOrderRow("o3", "bob", at + timedelta(days=2), 2, date(2026, 11, 8), 10000, 10000),
    )
    assert figures.first_ship_date == date(2026, 11, 6)


# RULES: PRE-5, PRE-3
def test_ship_from_follows_a_fixed_date_rule() -> None:
    fixed = PreSale(
        "pre",
        "预售",
        Window(START, END),
        [PreSaleItem("cake", money("80"))],
        ShipOnDate(date(2026, 11, 20)),
    )
    at = datetime(2026, 11, 1, tzinfo=CST)
    orders = [make_order("o1", "amy", [order_line("a", "cake", 1, 8000, "pre_sale")], at, "paid")]
    assert presale_figures(fixed, orders).rows[0].ship_from == date(2026, 11, 20)
    empty = presale_figures(fixed, [])
    assert (empty.items_sold, empty.orders, empty.buyers, empty.turnover_fen) == (0, 0, 0, 0)
    assert empty.first_ship_date is None
    assert empty.export_csv() == ",".join(COLUMNS) + "\r\n"


# RULES: PRE-5
def test_export_is_csv_with_yuan_amounts_and_defused_formulas() -> None:
    at = datetime(2026, 11, 1, 9, 0, tzinfo=CST)
    orders = [
        make_order(
            "o1",
            "=HYPERLINK(1)",
            [order_line("a", "cake", 2, 16001, "pre_sale")],
            at,
            "paid",
            shipping_fen=99,
        ),
        make_order(
            "o2",
            "bob",
            [order_line("a", "tea", 1, 2000, "pre_sale")],
            at,
            "paid",
            pay_after=timedelta(hours=1),
        ),
    ]
    text = presale_figures(PRESALE, orders).export_csv()
    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1:] == [
        [
            "o1",
            "'=HYPERLINK(1)",
            (at + timedelta(minutes=5)).isoformat(),
            "2",
            "2026-11-06",
            "161.00",
            "160.01",
        ],
        ["o2", "bob", (at + timedelta(hours=1)).isoformat(), "1", "2026-11-06", "20.00", "20.00"],
    ]


# RULES: PRE-5
def test_an_order_in_another_currency_is_refused() -> None:
    at = datetime(2026, 11, 1, tzinfo=CST)
    orders = [
        make_order(
            "o1", "amy", [order_line("a", "cake", 1, 100, "pre_sale")], at, "paid", currency="USD"
        )
    ]
    with pytest.raises(CurrencyMismatch):
        presale_figures(PRESALE, orders)


# ------------------------------------------------------------------ brute force
FATES = ["unpaid", "closed_unpaid", "paid", "cancelled", "shipped", "completed"]
lines_st = st.lists(
    st.tuples(
        st.sampled_from(["cake", "tea", "pot"]),
        st.integers(1, 4),
        st.integers(0, 9_999),
        st.sampled_from(["pre_sale", "pre_sale", "regular", "flash_sale"]),
    ),
    min_size=1,
    max_size=4,
)
order_st = st.tuples(
    st.sampled_from(["amy", "bob", "cat", "dan"]),
    lines_st,
    st.integers(-3 * 24, 25 * 24),  # hours after START: some before, some after the window
    st.sampled_from(FATES),
    st.integers(0, 1_500),
    st.integers(0, 72 * 60),
)


def brute_force(orders: Sequence[Order]) -> tuple[int, int, int, int, dict[str, tuple[int, date]]]:
    """PRE-5 counted the plain way, line by line, with no help from the code under test."""
    items = 0
    buyers: set[str] = set()
    turnover = 0
    per_order: dict[str, tuple[int, date]] = {}
    for order in orders:
        if order.status not in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED):
            continue
        if not START <= order.placed_at < END:
            continue
        n = 0
        for ln in order.lines:
            if ln.sku_id in ("cake", "tea") and ln.family == "pre_sale":
                n += ln.quantity
        if n == 0:
            continue
        assert order.paid_at is not None
        items += n
        buyers.add(order.customer_id)
        turnover += sum(p.fen for p in order.payments)
        per_order[order.number] = (n, order.paid_at.date() + timedelta(days=5))
    return items, len(per_order), len(buyers), turnover, per_order


# RULES: PRE-5
@settings(max_examples=150, deadline=None)
@given(st.lists(order_st, max_size=12))
def test_figures_match_a_brute_force_count(
    specs: list[tuple[str, list[tuple[str, int, int, str]], int, str, int, int]],
) -> None:
    orders = [
        make_order(
            f"o{i}",
            customer,
            [
                order_line(f"l{j}", sku, qty, fen, family)
                for j, (sku, qty, fen, family) in enumerate(lines)
            ],
            START + timedelta(hours=hours),
            fate,
            shipping_fen=ship,
            pay_after=timedelta(minutes=pay_minutes),
        )
        for i, (customer, lines, hours, fate, ship, pay_minutes) in enumerate(specs)
    ]
    figures = presale_figures(PRESALE, orders)
    items, count, buyers, turnover, per_order = brute_force(orders)
    assert (figures.items_sold, figures.orders, figures.buyers, figures.turnover_fen) == (
        items,
        count,
        buyers,
        turnover,
    )
    assert {r.order_number: (r.items, r.ship_from) for r in figures.rows} == per_order
    assert [r.paid_at for r in figures.rows] == sorted(r.paid_at for r in figures.rows)
    exported = list(csv.DictReader(io.StringIO(figures.export_csv())))
    assert [(e["order_number"], int(e["presale_items"])) for e in exported] == [
        (r.order_number, r.items) for r in figures.rows
    ]
    assert sum(money(e["order_total"]).amount for e in exported) == figures.turnover.amount
