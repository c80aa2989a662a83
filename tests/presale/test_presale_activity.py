"""The pre-sale activity: configuration, PRE-1 full payment, PRE-2 stock, PRE-3 ship
dates, PRE-4 one in progress, PIPE-5 exclusivity of SKUs, the line rule on its own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mallcore.catalog import Catalog, Product, Sku
from mallcore.errors import (
    CurrencyMismatch,
    InvalidConfiguration,
    InvalidInput,
    LimitReached,
    NotAllowed,
    NotFound,
)
from mallcore.inventory import Inventory
from mallcore.money import from_fen, money
from mallcore.orders.order import Order
from mallcore.orders.payments import PaymentMethod, PaymentPart
from mallcore.orders.status import OrderStatus
from mallcore.pricing import GUEST, Cart, CartLine, LinePrice, LineSkip, PricingPipeline, SkipReason
from mallcore.promotions import ALWAYS, PRE_SALE, Window
from mallcore.promotions.presale import (
    PaymentMode,
    PreSale,
    PreSaleItem,
    PreSaleRule,
    ShipAfterPayment,
    ShipOnDate,
    StockSetting,
)
from mallcore.promotions.presale_checks import (
    check_exclusive_skus,
    check_single_in_progress,
    validate_new_presale,
    validate_presales,
)
from mallcore.promotions.presale_deposit import DepositTerms

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 10, 20, 10, 0, tzinfo=CST)
NOV_END = datetime(2026, 11, 11, tzinfo=CST)
NOV = Window(datetime(2026, 10, 20, tzinfo=CST), NOV_END)


def presale(
    pid: str = "pre",
    window: Window = NOV,
    *items: PreSaleItem,
    shipping: ShipAfterPayment | ShipOnDate | None = None,
    deposit: DepositTerms | None = None,
) -> PreSale:
    return PreSale(
        pid,
        f"预售 {pid}",
        window,
        items or (PreSaleItem("cake", money("80.00")),),
        shipping or ShipAfterPayment(7),
        deposit,
    )


def cart_line(sku: str, unit: str, qty: int = 1, currency: str = "CNY") -> CartLine:
    return CartLine(sku, f"p-{sku}", qty, money(unit, currency))


@attrs.frozen
class FlashSale:
    """Stands in for a flash sale: any ``SkuCampaign`` will do for PIPE-5 checks."""

    id: str
    window: Window
    skus: frozenset[str]
    kind: str = "flash_sale"


# ------------------------------------------------------------------ configuration
# RULES: PRE-1
def test_a_presale_without_deposit_terms_is_a_full_payment_presale() -> None:
    p = presale()
    assert p.mode is PaymentMode.FULL
    assert p.kind == "pre_sale"
    assert p.skus == p.sku_ids == frozenset({"cake"})
    assert p.item("cake") == PreSaleItem("cake", money("80.00"))
    assert p.item("bread") is None
    assert "full payment" in p.describe()


# RULES: PRE-1
@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: presale(
                "pre", NOV, PreSaleItem("a", money("1.00")), PreSaleItem("a", money("2.00"))
            ),
            "twice",
        ),
        (lambda: PreSale("pre", "x", NOV, (), ShipAfterPayment(1)), "no SKUs"),
        (
            lambda: PreSale(" pre", "x", NOV, (PreSaleItem("a", money("1")),), ShipAfterPayment(1)),
            "spaces",
        ),
        (
            lambda: PreSale("pre", " ", NOV, (PreSaleItem("a", money("1")),), ShipAfterPayment(1)),
            "non-empty",
        ),
        (lambda: PreSaleItem("a", money("-1.00")), "negative"),
        (lambda: PreSaleItem("a", money("1.00"), virtual_stock=-1), "negative"),
        (lambda: ShipAfterPayment(0), "minimum"),
        (lambda: ShipOnDate(T0), "not a date"),
        (
            lambda: PreSale(
                "pre",
                "x",
                "never",  # type: ignore[arg-type]
                (PreSaleItem("a", money("1")),),
                ShipAfterPayment(1),
            ),
            "not a window",
        ),
    ],
)
def test_bad_configuration_is_refused(build: object, message: str) -> None:
    with pytest.raises(InvalidConfiguration, match=message):
        build()  # type: ignore[operator]


# RULES: PRE-1
def test_items_in_two_currencies_are_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        presale("pre", NOV, PreSaleItem("a", money("1.00")), PreSaleItem("b", money("1.00", "USD")))


# RULES: PRE-1
def test_prices_are_checked_against_the_catalogue() -> None:
    catalog = Catalog([Product(id="p", name="月饼", skus=[Sku(id="cake", price=money("79.99"))])])
    with pytest.raises(InvalidConfiguration, match=r"above the list price 79\.99") as exc:
        presale().check_prices(catalog)
    assert exc.value.rule == "PRE-1"
    presale("pre", NOV, PreSaleItem("cake", money("79.99"))).check_prices(catalog)
    with pytest.raises(NotFound, match="ghost"):
        presale("pre", NOV, PreSaleItem("ghost", money("1.00"))).check_prices(catalog)


# ------------------------------------------------------------------ PRE-1 full payment
# RULES: PRE-1, PRE-3
def test_full_payment_presale_is_paid_in_full_now_and_ships_later() -> None:
    p = presale()
    pipeline = PricingPipeline(line_rules=[PreSaleRule(p)])
    breakdown = pipeline.price(Cart([cart_line("cake", "100.00", 2)]), now=T0)
    assert breakdown.payable_fen == 16000
    order = Order.place("o1", "c1", breakdown, now=T0)
    with pytest.raises(NotAllowed, match=r"the amount due is 160\.00"):
        order.pay([PaymentPart(PaymentMethod.WECHAT, 3200)], transaction_id="t0", now=T0)
    order.pay([PaymentPart(PaymentMethod.WECHAT, 16000)], transaction_id="t1", now=T0)
    assert order.status is OrderStatus.PAID
    assert order.paid_fen == breakdown.payable_fen
    assert p.ship_date(T0) == date(2026, 10, 27)


# ------------------------------------------------------------------ PRE-2 stock
# RULES: PRE-2
def test_stock_settings_name_the_skus_to_oversell() -> None:
    p = presale(
        "pre",
        NOV,
        PreSaleItem("cake", money("80"), virtual_stock=100, oversell=True),
        PreSaleItem("tea", money("20"), virtual_stock=5),
        PreSaleItem("cup", money("9"), oversell=True),
    )
    assert p.oversell_skus == frozenset({"cake", "cup"})
    assert p.stock_settings() == (
        StockSetting("cake", 100, True),
        StockSetting("tea", 5, False),
        StockSetting("cup", None, True),
    )


# RULES: PRE-2, ORD-9
def test_configured_inventory_takes_orders_at_zero_stock_only_where_overselling() -> None:
    p = presale(
        "pre",
        NOV,
        PreSaleItem("cake", money("80"), virtual_stock=3, oversell=True),
        PreSaleItem("tea", money("20"), virtual_stock=2),
        PreSaleItem("cup", money("9"), oversell=True),
    )
    inv = Inventory("shop")
    inv.receive("tea", 1, ref="r0")
    p.configure_inventory(inv, ref="presale-pre")
    p.configure_inventory(inv, ref="presale-pre")  # a second run changes nothing
    assert (
        inv.level("cake").available,
        inv.level("tea").available,
        inv.level("cup").available,
    ) == (3, 2, 0)
    assert [m.quantity for m in inv.movements if m.ref == "presale-pre"] == [3, 1]
    inv.take("o1", [("cake", 3), ("cup", 4)])
    inv.take("o2", [("cake", 2)])  # virtual stock gone: still orderable
    assert inv.level("cake").available == -2
    inv.take("o3", [("tea", 2)])
    with pytest.raises(LimitReached):
        inv.take("o4", [("tea", 1)])
    with pytest.raises(InvalidInput):
        p.configure_inventory(inv, ref=" ")


# ------------------------------------------------------------------ PRE-3 ship date
# RULES: PRE-3
def test_ship_date_x_days_after_payment_counts_calendar_days_in_the_zone() -> None:
    rule = ShipAfterPayment(3)
    late = datetime(2026, 11, 1, 23, 30, tzinfo=CST)
    assert rule.ship_date(late) == date(2026, 11, 4)
    # the same instant seen from UTC is still 1 November there
    assert rule.ship_date(late.astimezone(UTC)) == date(2026, 11, 4)
    early = datetime(2026, 11, 2, 0, 30, tzinfo=CST)
    assert rule.ship_date(early.astimezone(UTC)) == date(2026, 11, 4)  # 1 Nov UTC
    assert ShipAfterPayment(3, CST).ship_date(early.astimezone(UTC)) == date(2026, 11, 5)
    with pytest.raises(InvalidInput, match="time zone"):
        rule.ship_date(datetime(2026, 11, 1))


# RULES: PRE-3
def test_fixed_ship_date_is_the_merchants_date_never_before_payment() -> None:
    p = presale(shipping=ShipOnDate(date(2026, 11, 15)))
    assert p.ship_date(T0) == date(2026, 11, 15)
    assert p.ship_date(datetime(2026, 11, 15, 23, 0, tzinfo=CST)) == date(2026, 11, 15)
    assert p.ship_date(datetime(2026, 11, 20, 9, 0, tzinfo=CST)) == date(2026, 11, 20)
    assert "from 2026-11-15" in p.describe()


# RULES: PRE-3
@given(
    st.integers(1, 400),
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(CST)
    ),
)
def test_ship_date_after_payment_is_exactly_x_days_after_the_payment_date(
    days: int, paid_at: datetime
) -> None:
    assert (ShipAfterPayment(days).ship_date(paid_at) - paid_at.date()).days == days


# ------------------------------------------------------------------ PRE-4
A = Window(datetime(2026, 11, 1, tzinfo=CST), datetime(2026, 11, 11, tzinfo=CST))
B = Window(datetime(2026, 11, 11, tzinfo=CST), datetime(2026, 11, 20, tzinfo=CST))
C = Window(datetime(2026, 11, 10, tzinfo=CST), datetime(2026, 11, 12, tzinfo=CST))


# RULES: PRE-4
def test_two_presales_in_progress_at_once_are_refused_naming_both() -> None:
    a, b, c = presale("a", A), presale("b", B), presale("c", C)
    validate_presales([a, b])  # back to back: never both in progress
    with pytest.raises(InvalidConfiguration) as exc:
        validate_presales([b, a, c])
    assert exc.value.rule == "PRE-4"
    assert "'a'" in exc.value.refused and "'c'" in exc.value.refused
    with pytest.raises(InvalidConfiguration, match="'b' and pre_sale 'c'"):
        validate_new_presale(c, [b])
    validate_new_presale(presale("a", C), [a, presale("x", datetime_window(1, 5))])  # replaces a
    with pytest.raises(InvalidConfiguration, match="listed twice"):
        validate_presales([a, a])


def datetime_window(first_day: int, last_day: int) -> Window:
    return Window(
        datetime(2026, 12, first_day, tzinfo=CST), datetime(2026, 12, last_day, tzinfo=CST)
    )


# RULES: PRE-4
def test_the_one_in_progress_is_found_and_a_second_is_refused() -> None:
    a, b = presale("a", A), presale("b", B)
    assert check_single_in_progress([a, b], datetime(2026, 11, 5, tzinfo=CST)) is a
    assert check_single_in_progress([a, b], datetime(2026, 11, 11, tzinfo=CST)) is b
    assert check_single_in_progress([a, b], datetime(2026, 12, 1, tzinfo=CST)) is None
    # data that slipped past the save-time check is still caught at run time
    with pytest.raises(InvalidConfiguration, match="both in progress") as exc:
        check_single_in_progress([b, presale("c", C), a], datetime(2026, 11, 10, 12, tzinfo=CST))
    assert "'a'" in exc.value.refused and "'c'" in exc.value.refused
    assert exc.value.rule == "PRE-4"


# RULES: PRE-4
@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(1, 10)), min_size=1, max_size=6),
    st.integers(0, 45),
)
def test_validated_presales_are_never_two_in_progress(
    spans: list[tuple[int, int]], probe: int
) -> None:
    day0 = datetime(2026, 11, 1, tzinfo=CST)
    sales = [
        presale(f"p{i}", Window(day0 + timedelta(days=s), day0 + timedelta(days=s + n)))
        for i, (s, n) in enumerate(spans)
    ]
    now = day0 + timedelta(days=probe, hours=12)
    try:
        validate_presales(sales)
    except InvalidConfiguration:
        clash = any(
            a.window.overlaps(b.window) for i, a in enumerate(sales) for b in sales[i + 1 :]
        )
        assert clash
        return
    active = [p for p in sales if p.in_progress(now)]
    assert len(active) <= 1
    assert check_single_in_progress(sales, now) == (active[0] if active else None)


# ------------------------------------------------------------------ PIPE-5 exclusivity
# RULES: PIPE-5
def test_a_presale_sku_cannot_be_in_a_flash_sale_at_the_same_time() -> None:
    p = presale("pre", NOV, PreSaleItem("cake", money("80")), PreSaleItem("tea", money("9")))
    later = Window(datetime(2026, 11, 11, tzinfo=CST), None)
    check_exclusive_skus(
        p,
        [
            FlashSale("fs1", NOV, frozenset({"cup"})),
            FlashSale("fs2", later, frozenset({"cake"})),
            p,
        ],
    )  # itself is no clash
    with pytest.raises(InvalidConfiguration) as exc:
        check_exclusive_skus(p, [FlashSale("fs3", ALWAYS, frozenset({"tea", "pot"}))])
    assert exc.value.rule == "PIPE-5"
    assert "flash_sale 'fs3'" in exc.value.refused and "pre_sale 'pre'" in exc.value.refused
    assert "'tea'" in exc.value.reason
    other = presale("other", NOV, PreSaleItem("cake", money("70")))
    with pytest.raises(InvalidConfiguration, match="'cake'"):
        check_exclusive_skus(p, [other])


# ------------------------------------------------------------------ the line rule
# RULES: PIPE-5, PRE-1
def test_rule_prices_presale_lines_with_presale_stacking() -> None:
    rule = PreSaleRule(presale())
    assert (rule.id, rule.name, rule.kind) == ("pre", "预售 pre", "pre_sale")
    assert rule.price_line(cart_line("cake", "100.00", 3), GUEST, T0) == LinePrice(
        24000, PRE_SALE, "pre-sale price 80.00"
    )
    assert rule.price_line(cart_line("bread", "100.00"), GUEST, T0) is None
    skip = rule.price_line(cart_line("cake", "100.00"), GUEST, T0 - timedelta(days=1))
    assert isinstance(skip, LineSkip) and skip.reason is SkipReason.OUTSIDE_WINDOW
    assert rule.price_line(cart_line("cake", "100.00"), GUEST, NOV_END) == LineSkip(
        SkipReason.OUTSIDE_WINDOW, f"pre-sale pre is not in progress at {NOV_END.isoformat()}"
    )
    with pytest.raises(CurrencyMismatch):
        rule.price_line(cart_line("cake", "100.00", currency="USD"), GUEST, T0)


# RULES: PRE-1, PIPE-5
def test_list_price_below_presale_price_keeps_the_list_price_and_the_family() -> None:
    rule = PreSaleRule(presale())
    priced = rule.price_line(cart_line("cake", "75.50", 2), GUEST, T0)
    assert priced == LinePrice(15100, PRE_SALE, "pre-sale price 75.50")


# RULES: PRE-6, PIPE-5
def test_deposit_expansion_is_a_stage_one_price_cut() -> None:
    terms = DepositTerms(
        money("10.00"), Window(NOV_END, NOV_END + timedelta(days=3)), Decimal("2.5")
    )
    rule = PreSaleRule(presale(deposit=terms))
    assert rule.presale.mode is PaymentMode.DEPOSIT
    priced = rule.price_line(cart_line("cake", "100.00", 2), GUEST, T0)
    assert priced == LinePrice(
        2 * (8000 - 1500), PRE_SALE, "pre-sale price 80.00, deposit 10.00 counts as 25.00"
    )


# RULES: PIPE-5
@given(st.integers(0, 20_000), st.integers(0, 20_000), st.integers(1, 5))
def test_rule_never_prices_above_the_list_amount(list_fen: int, pre_fen: int, qty: int) -> None:
    rule = PreSaleRule(presale("pre", ALWAYS, PreSaleItem("x", from_fen(pre_fen))))
    line = CartLine("x", "p", qty, from_fen(list_fen))
    priced = rule.price_line(line, GUEST, T0)
    assert isinstance(priced, LinePrice)
    assert priced.amount_fen == min(list_fen, pre_fen) * qty <= line.amount_fen
    assert priced.stacking is PRE_SALE
