"""LTD-3 prices per SKU, LTD-4 activity stock, LTD-5 rounding option."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mallcore.errors import InvalidConfiguration
from mallcore.money import Money, from_fen, money
from mallcore.pricing import Buyer, CartLine, LinePrice
from mallcore.promotions.limited_time import (
    LimitedTimeDiscount,
    LimitedTimeItem,
    LimitedTimeRule,
    PriceMode,
    Rounding,
    apply_rounding,
    discounted_fen,
)
from mallcore.promotions.window import ALWAYS

NOW = datetime(2026, 5, 1, 10, 0, tzinfo=timezone(timedelta(hours=8)))
BUYER = Buyer("c1")
#: The reference arithmetic has its own context: never the ambient one.
REF = Context(prec=60, rounding=ROUND_HALF_UP)
CENT = Decimal("0.01")
SETTINGS = settings(max_examples=300, deadline=None)


def item(mode: PriceMode, value: str | int | Decimal, list_price: str = "100.00", *,
         sku: str = "red-40", stock: int = 10, product_stock: int = 50) -> LimitedTimeItem:
    return LimitedTimeItem(sku, "shoe", mode, value, money(list_price), stock, product_stock)


def rule(*items: LimitedTimeItem, rounding: Rounding = Rounding.NONE) -> LimitedTimeRule:
    return LimitedTimeRule(LimitedTimeDiscount("ltd", "限时折扣", ALWAYS, items,
                                               rounding=rounding))


def priced(r: LimitedTimeRule, unit: str | Money, quantity: int = 1, sku: str = "red-40"
           ) -> LinePrice:
    price = unit if isinstance(unit, Money) else money(unit)
    out = r.price_line(CartLine(sku, "shoe", quantity, price), BUYER, NOW)
    assert isinstance(out, LinePrice), out
    return out


def refused(exc: pytest.ExceptionInfo[InvalidConfiguration], rule_id: str, *words: str) -> None:
    assert exc.value.rule == rule_id
    assert "'red-40'" in exc.value.refused  # names the SKU
    for word in words:
        assert word in str(exc.value)


def yuan(fen: int) -> Decimal:
    return REF.divide(Decimal(fen), Decimal(100))


def ref_half_up(value: Decimal) -> int:
    """Independent reference: a yuan amount rounded half-up to the fen, as fen."""
    return int(REF.multiply(value.quantize(CENT, rounding=ROUND_HALF_UP, context=REF),
                            Decimal(100)))


# ------------------------------------------------------------------- LTD-3 examples
# RULES: LTD-3
def test_seed_scenario_seven_zhe_and_thirty_off_both_give_seventy() -> None:
    assert priced(rule(item(PriceMode.DISCOUNT, "7")), "100.00").amount_fen == 7000
    assert priced(rule(item(PriceMode.REDUCTION, "30")), "100.00").amount_fen == 7000
    assert priced(rule(item(PriceMode.FIXED_PRICE, "70.00")), "100.00").amount_fen == 7000
    # two SKUs at 100 and 200: the rate scales, the reduction does not
    two = (item(PriceMode.DISCOUNT, "7", "100"), item(PriceMode.DISCOUNT, "7", "200", sku="b"))
    assert priced(rule(*two), "200.00", sku="b").amount_fen == 14000
    cut = (item(PriceMode.REDUCTION, "30", "100"), item(PriceMode.REDUCTION, "30", "200", sku="b"))
    assert priced(rule(*cut), "200.00", sku="b").amount_fen == 17000


# RULES: LTD-3
@pytest.mark.parametrize(("list_price", "zhe", "expected"), [
    ("0.01", "5", 1),  # 0.005 → 0.01 (the seed's own example)
    ("0.01", "4.99", 0),  # 0.00499 → 0.00
    ("0.01", "1.01", 0),
    ("0.03", "5", 2),  # 0.015 → 0.02
    ("100.35", "7", 7025),  # 70.245 → 70.25
    ("99.99", "8.55", 8549),  # 85.491 → 85.49
    ("1.00", "10", 100),  # 10折 pays everything
    ("0.00", "7", 0),
])
def test_discount_rounds_the_price_half_up_to_the_fen(list_price: str, zhe: str,
                                                     expected: int) -> None:
    assert priced(rule(item(PriceMode.DISCOUNT, zhe, list_price)), list_price).amount_fen \
        == expected


# RULES: LTD-3
def test_half_up_is_on_the_price_not_on_the_saving() -> None:
    # Rounding the 0.005 *saving* up would charge 0.00; LTD-3 rounds the price: 0.01.
    out = priced(rule(item(PriceMode.DISCOUNT, "5", "0.01")), "0.01", quantity=3)
    assert out.amount_fen == 3  # per unit, then × quantity


# RULES: LTD-3
def test_rate_accepts_int_decimal_and_text_with_up_to_two_decimals() -> None:
    assert item(PriceMode.DISCOUNT, 7).setting == 700
    assert item(PriceMode.DISCOUNT, Decimal("8.5")).setting == 850
    assert item(PriceMode.DISCOUNT, Decimal("8.50")).setting == 850
    assert item(PriceMode.DISCOUNT, " 8.55 ").setting == 855
    assert item(PriceMode.DISCOUNT, "8.55").describe() == "8.55折"
    rate = item(PriceMode.DISCOUNT, "8.5").rate
    assert rate is not None and rate.pay == Decimal("0.85")
    assert item(PriceMode.REDUCTION, "1").rate is None


# RULES: LTD-3
@pytest.mark.parametrize("zhe", ["1.01", "1.5", "9.99", "10", "10.00", 2, Decimal("10")])
def test_rate_just_inside_the_bounds_is_accepted(zhe: str | int | Decimal) -> None:
    assert 100 < item(PriceMode.DISCOUNT, zhe).setting <= 1000


# RULES: LTD-3
@pytest.mark.parametrize("zhe", ["1", "1.00", "0.99", "0.5", "0", "10.01", "11", 1, 0,
                                 Decimal("1.00"), Decimal("10.01")])
def test_rate_outside_above_one_up_to_ten_is_refused(zhe: str | int | Decimal) -> None:
    # "> 1 and ≤ 10" read literally: 1折 itself is refused, 10折 accepted.
    with pytest.raises(InvalidConfiguration) as exc:
        item(PriceMode.DISCOUNT, zhe)
    refused(exc, "LTD-3", "must be > 1 and ≤ 10")


# RULES: LTD-3
@pytest.mark.parametrize("zhe", ["-5", "7.123", "7折", "7%", "", " ", "1e1", "７", "+7", "7.",
                                 ".5", "NaN", 7.0, True, None, Decimal("7.001"),
                                 Decimal("NaN"), Decimal("Infinity")])
def test_rate_that_is_not_plain_digits_with_two_decimals_is_refused(zhe: object) -> None:
    with pytest.raises(InvalidConfiguration) as exc:
        item(PriceMode.DISCOUNT, zhe)  # type: ignore[arg-type]
    refused(exc, "LTD-3")


# RULES: LTD-3
def test_reduction_bounds() -> None:
    assert priced(rule(item(PriceMode.REDUCTION, "0.01")), "100.00").amount_fen == 9999
    assert priced(rule(item(PriceMode.REDUCTION, "100.00")), "100.00").amount_fen == 0
    for amount in ("0", "0.00", "-1", "100.01", "1000"):
        with pytest.raises(InvalidConfiguration) as exc:
            item(PriceMode.REDUCTION, amount)
        refused(exc, "LTD-3", "must be > 0 and ≤ the price 100.00")


# RULES: LTD-3
def test_fixed_price_bounds() -> None:
    assert priced(rule(item(PriceMode.FIXED_PRICE, "0")), "100.00").amount_fen == 0
    assert priced(rule(item(PriceMode.FIXED_PRICE, "100.00")), "100.00").amount_fen == 10000
    for amount in ("100.01", "-0.01"):
        with pytest.raises(InvalidConfiguration) as exc:
            item(PriceMode.FIXED_PRICE, amount)
        refused(exc, "LTD-3", "must be ≥ 0 and ≤ the price 100.00")


# RULES: LTD-3
@pytest.mark.parametrize("mode", [PriceMode.REDUCTION, PriceMode.FIXED_PRICE])
@pytest.mark.parametrize("amount", ["1.234", "1,00", "1.5元", 1.5, "abc", Decimal("1.001")])
def test_amount_with_more_than_two_decimals_or_not_a_number_is_refused(
    mode: PriceMode, amount: object
) -> None:
    with pytest.raises(InvalidConfiguration) as exc:
        item(mode, amount)  # type: ignore[arg-type]
    refused(exc, "LTD-3")


# RULES: LTD-3
def test_item_identity_mode_and_list_price_are_checked() -> None:
    with pytest.raises(InvalidConfiguration, match="SKU") as exc:
        LimitedTimeItem(" ", "shoe", PriceMode.DISCOUNT, "7", money("1"), 1, 1)
    assert exc.value.rule == "LTD-3"
    with pytest.raises(InvalidConfiguration, match="product"):
        LimitedTimeItem("red-40", "", PriceMode.DISCOUNT, "7", money("1"), 1, 1)
    with pytest.raises(InvalidConfiguration) as exc:
        LimitedTimeItem("red-40", "shoe", "discount", "7", money("1"), 1, 1)  # type: ignore[arg-type]
    refused(exc, "LTD-3", "PriceMode")
    with pytest.raises(InvalidConfiguration) as exc:
        LimitedTimeItem("red-40", "shoe", PriceMode.DISCOUNT, "7", "100", 1, 1)  # type: ignore[arg-type]
    refused(exc, "LTD-3", "Money")
    with pytest.raises(InvalidConfiguration) as exc:
        LimitedTimeItem("red-40", "shoe", PriceMode.DISCOUNT, "7", from_fen(-1), 1, 1)
    refused(exc, "LTD-3", "negative")
    with pytest.raises(InvalidConfiguration) as exc:
        LimitedTimeItem("red-40", "shoe", PriceMode.DISCOUNT, "7",
                        Money(Decimal("1.005"), "CNY"), 1, 1)
    assert exc.value.rule == "LTD-3"


# ------------------------------------------------------------------- LTD-3 properties
LIST_FEN = st.integers(min_value=0, max_value=10**9)


@SETTINGS
@given(list_fen=LIST_FEN, hundredths=st.integers(min_value=101, max_value=1000),
       quantity=st.integers(min_value=1, max_value=50))
# RULES: LTD-3
def test_discount_matches_a_decimal_half_up_reference(list_fen: int, hundredths: int,
                                                      quantity: int) -> None:
    zhe = f"{hundredths // 100}.{hundredths % 100:02d}"
    exact = REF.divide(REF.multiply(yuan(list_fen), Decimal(zhe)), Decimal(10))
    expected = ref_half_up(exact)
    it = item(PriceMode.DISCOUNT, zhe, str(yuan(list_fen)))
    assert it.unit_price(list_fen) == expected
    assert discounted_fen(list_fen, hundredths) == expected
    assert priced(rule(it), from_fen(list_fen), quantity).amount_fen == expected * quantity


@SETTINGS
@given(data=st.data(), list_fen=LIST_FEN, quantity=st.integers(min_value=1, max_value=50))
# RULES: LTD-3
def test_reduction_and_fixed_price_match_a_decimal_reference(
    data: st.DataObject, list_fen: int, quantity: int
) -> None:
    list_text = str(yuan(list_fen))
    if list_fen:
        cut = data.draw(st.integers(min_value=1, max_value=list_fen), label="cut")
        exact = REF.subtract(yuan(list_fen), yuan(cut))
        it = item(PriceMode.REDUCTION, str(yuan(cut)), list_text)
        assert priced(rule(it), from_fen(list_fen), quantity).amount_fen \
            == ref_half_up(exact) * quantity
    fixed = data.draw(st.integers(min_value=0, max_value=list_fen), label="fixed")
    it = item(PriceMode.FIXED_PRICE, str(yuan(fixed)), list_text)
    assert priced(rule(it), from_fen(list_fen), quantity).amount_fen \
        == ref_half_up(yuan(fixed)) * quantity


@SETTINGS
@given(hundredths=st.integers(min_value=-2000, max_value=3000))
# RULES: LTD-3
def test_rate_is_accepted_exactly_when_above_one_and_at_most_ten(hundredths: int) -> None:
    sign = "-" if hundredths < 0 else ""
    h = abs(hundredths)
    zhe = f"{sign}{h // 100}.{h % 100:02d}"
    if 100 < hundredths <= 1000:
        assert item(PriceMode.DISCOUNT, zhe).setting == hundredths
    else:
        with pytest.raises(InvalidConfiguration) as exc:
            item(PriceMode.DISCOUNT, zhe)
        refused(exc, "LTD-3")


# ------------------------------------------------------------------- LTD-4
# RULES: LTD-4
def test_activity_stock_is_a_positive_whole_number_up_to_the_product_stock() -> None:
    assert item(PriceMode.DISCOUNT, "7", stock=50, product_stock=50).stock == 50
    assert item(PriceMode.DISCOUNT, "7", stock=1, product_stock=1).stock == 1
    for stock, product_stock, words in [
        (51, 50, ("activity stock 51 is more than the product stock 50",)),
        (1, 0, ("more than the product stock 0",)),
        (0, 50, ("below the minimum of 1",)),
        (-1, 50, ("below the minimum of 1",)),
    ]:
        with pytest.raises(InvalidConfiguration) as exc:
            item(PriceMode.DISCOUNT, "7", stock=stock, product_stock=product_stock)
        refused(exc, "LTD-4", *words)
    for bad in (1.0, True, "5", Decimal(5)):
        with pytest.raises(InvalidConfiguration) as exc:
            item(PriceMode.DISCOUNT, "7", stock=bad, product_stock=50)  # type: ignore[arg-type]
        refused(exc, "LTD-4", "not a whole number")
    with pytest.raises(InvalidConfiguration) as exc:
        item(PriceMode.DISCOUNT, "7", stock=1, product_stock=-1)
    refused(exc, "LTD-4")


# ------------------------------------------------------------------- LTD-5
# RULES: LTD-5
@pytest.mark.parametrize(("price", "rounding", "expected"), [
    (1234, Rounding.DROP_FEN, 1230),
    (1234, Rounding.DROP_JIAO, 1200),
    (1230, Rounding.DROP_FEN, 1230),
    (1200, Rounding.DROP_JIAO, 1200),
    (100, Rounding.DROP_JIAO, 100),
    (105, Rounding.DROP_JIAO, 100),
    (199, Rounding.DROP_FEN, 190),
    (99, Rounding.DROP_JIAO, 99),  # below 1.00: not applied
    (99, Rounding.DROP_FEN, 99),
    (5, Rounding.DROP_JIAO, 5),
    (0, Rounding.DROP_FEN, 0),
    (1234, Rounding.NONE, 1234),
])
def test_rounding_option_examples(price: int, rounding: Rounding, expected: int) -> None:
    assert apply_rounding(price, rounding) == expected


# RULES: LTD-5, LTD-3
def test_rounding_applies_to_the_discounted_unit_price_in_a_line() -> None:
    out = priced(rule(item(PriceMode.DISCOUNT, "7", "100.35"), rounding=Rounding.DROP_JIAO),
                 "100.35", quantity=2)
    assert out.amount_fen == 2 * 7000  # 70.245 → 70.25 → 70.00
    assert out.detail == "red-40: 100.35 × 7折 = 70.25, 抹角 → 70.00"
    out = priced(rule(item(PriceMode.DISCOUNT, "7", "100.35"), rounding=Rounding.DROP_FEN),
                 "100.35")
    assert out.amount_fen == 7020
    # 1.20 × 8折 = 0.96 is below 1.00: no rounding
    out = priced(rule(item(PriceMode.DISCOUNT, "8", "1.20"), rounding=Rounding.DROP_JIAO),
                 "1.20")
    assert out.amount_fen == 96
    assert out.detail == "red-40: 1.20 × 8折 = 0.96"


@SETTINGS
@given(price=st.integers(min_value=0, max_value=10**9), rounding=st.sampled_from(Rounding))
# RULES: LTD-5
def test_rounding_never_raises_a_price_and_skips_below_one_yuan(price: int,
                                                               rounding: Rounding) -> None:
    out = apply_rounding(price, rounding)
    assert out <= price
    if price < 100 or rounding is Rounding.NONE:
        assert out == price
        return
    step = Decimal("0.1") if rounding is Rounding.DROP_FEN else Decimal(1)
    assert out == ref_half_up(yuan(price).quantize(step, rounding=ROUND_DOWN, context=REF))
    assert out >= 100


@SETTINGS
@given(list_fen=st.integers(min_value=0, max_value=10**7),
       hundredths=st.integers(min_value=101, max_value=1000),
       rounding=st.sampled_from(Rounding))
# RULES: LTD-5, LTD-3
def test_rounded_line_price_is_never_above_the_unrounded_one(list_fen: int, hundredths: int,
                                                            rounding: Rounding) -> None:
    zhe = f"{hundredths // 100}.{hundredths % 100:02d}"
    it = item(PriceMode.DISCOUNT, zhe, str(yuan(list_fen)))
    plain = priced(rule(it), from_fen(list_fen)).amount_fen
    rounded = priced(rule(it, rounding=rounding), from_fen(list_fen)).amount_fen
    assert rounded <= plain <= list_fen
    if plain < 100:
        assert rounded == plain
