"""Half-up rounding to the fen (LTD-3, PIPE-3) and discount rates in 折."""

from __future__ import annotations

from decimal import (
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    localcontext,
)

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mallcore.errors import InvalidInput
from mallcore.money import Rate, half_up

REFERENCE = Context(prec=200, rounding=ROUND_HALF_UP)
AMBIENT = [
    Context(prec=3, rounding=ROUND_HALF_EVEN),
    Context(prec=2, rounding=ROUND_HALF_EVEN),
    Context(prec=28, rounding=ROUND_HALF_EVEN),
    Context(prec=28, rounding=ROUND_DOWN),
    Context(prec=4, rounding=ROUND_FLOOR),
]


def ref_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP, context=REFERENCE))


def ref_discount(fen: int, pay: Decimal) -> int:
    exact = REFERENCE.multiply(Decimal(fen), REFERENCE.subtract(Decimal(1), pay))
    return ref_half_up(exact)


# RULES: LTD-3, PIPE-3
@pytest.mark.parametrize(("value", "fen"), [
    ("0.5", 1), ("0.4", 0), ("0.49999", 0), ("1.5", 2), ("2.5", 3), ("3.5", 4),
    ("-0.5", -1), ("-2.5", -3), ("-0.4", 0), ("7", 7), ("1234.5", 1235),
])
def test_half_up_rounds_half_away_from_zero(value: str, fen: int) -> None:
    assert half_up(Decimal(value)) == fen


# RULES: LTD-3
@pytest.mark.parametrize(("yuan", "fen"), [
    ("0.005", 1), ("0.004", 0), ("0.0049999", 0), ("0.015", 2), ("0.025", 3), ("12.345", 1235),
])
def test_yuan_to_the_fen_half_up(yuan: str, fen: int) -> None:
    """LTD-3: 0.005 → 0.01, below 0.005 → 0.00 (not banker's rounding: 0.025 → 0.03)."""
    assert half_up(Decimal(yuan) * 100) == fen


decimals = st.decimals(min_value=Decimal(-(10**12)), max_value=Decimal(10**12), places=6,
                       allow_nan=False, allow_infinity=False)


# RULES: LTD-3, PIPE-3
@given(decimals, st.sampled_from(AMBIENT))
def test_half_up_matches_the_reference_in_any_ambient_context(value: Decimal, ctx: Context
                                                              ) -> None:
    expected = ref_half_up(value)
    assert half_up(value) == expected
    with localcontext(ctx):
        got = half_up(value)
    assert got == expected


pay_rates = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(1), places=4)


# RULES: LTD-3, PIPE-3
@given(st.integers(0, 10**10), pay_rates)
def test_discount_of_is_half_up_of_the_exact_saving(fen: int, pay: Decimal) -> None:
    rate = Rate(pay)
    expected = ref_discount(fen, pay)
    assert rate.discount_of(fen) == expected
    assert 0 <= expected <= fen


# RULES: LTD-3, PIPE-3
@given(st.integers(0, 10**10), pay_rates, st.sampled_from(AMBIENT))
def test_discount_of_ignores_the_ambient_decimal_context(fen: int, pay: Decimal, ctx: Context
                                                         ) -> None:
    rate = Rate(pay)
    with localcontext(ctx):
        got = rate.discount_of(fen)
    assert got == ref_discount(fen, pay)


# RULES: LTD-3
@pytest.mark.parametrize("ctx", AMBIENT, ids=str)
def test_discount_examples_in_a_hostile_context(ctx: Context) -> None:
    nine = Rate.zhe("9")
    with localcontext(ctx):
        results = (nine.discount_of(12345), Rate(Decimal("0.5")).discount_of(1),
                   Rate(Decimal("0.6")).discount_of(1), Rate.zhe("9").discount_of(12345))
    # 1234.5 → 1235 half-up (HALF_EVEN would say 1234); 0.5 fen → 1; 0.4 fen → 0
    assert results == (1235, 1, 0, 1235)


# RULES: LTD-3
@pytest.mark.parametrize("ctx", AMBIENT, ids=str)
def test_rate_zhe_ignores_the_ambient_decimal_context(ctx: Context) -> None:
    with localcontext(ctx):
        rate = Rate.zhe("8.75")
        label = rate.label()
    assert rate.pay == Decimal("0.875")
    assert label == "8.75折"


# RULES: LTD-3
def test_discount_of_edges() -> None:
    assert Rate.zhe(10).discount_of(12345) == 0
    assert Rate.zhe(9).discount_of(0) == 0
    assert Rate.zhe(9).discount_of(-100) == 0
    assert Rate.zhe("0.1").discount_of(100) == 99
    assert Rate(Decimal("0.0001")).discount_of(1) == 1


# RULES: LTD-3
@pytest.mark.parametrize(("zhe", "pay", "label"), [
    ("9", "0.9", "9折"), ("8.5", "0.85", "8.5折"), ("8.5折", "0.85", "8.5折"),
    (" 7 ", "0.7", "7折"), (10, "1", "10折"), (Decimal("7.25"), "0.725", "7.25折"),
    ("0.5", "0.05", "0.5折"), (1, "0.1", "1折"),
])
def test_rate_zhe(zhe: object, pay: str, label: str) -> None:
    rate = Rate.zhe(zhe)  # type: ignore[arg-type]
    assert rate.pay == Decimal(pay)
    assert rate.label() == label


# RULES: LTD-3
@pytest.mark.parametrize("zhe", [
    0, "0", -1, "-1", "10.01", 11, "abc", "", "折", 9.0, 8.5, True, False, "NaN", "Infinity",
    Decimal("NaN"), Decimal("Infinity"), None,
], ids=repr)
def test_rate_zhe_refuses_out_of_range_and_non_numbers(zhe: object) -> None:
    with pytest.raises(InvalidInput):
        Rate.zhe(zhe)  # type: ignore[arg-type]


# RULES: LTD-3
@pytest.mark.parametrize("pay", [Decimal(0), Decimal("-0.1"), Decimal("1.0001"), Decimal("NaN"),
                                 Decimal("Infinity"), 0.9, "0.9", 1], ids=repr)
def test_rate_refuses_pay_outside_zero_to_one(pay: object) -> None:
    with pytest.raises(InvalidInput):
        Rate(pay)  # type: ignore[arg-type]


# RULES: LTD-3
@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10), places=2))
def test_rate_zhe_is_tenths(zhe: Decimal) -> None:
    rate = Rate.zhe(zhe)
    assert rate.pay * 10 == zhe
    assert Rate.zhe(str(zhe)) == rate


def test_divide_half_up_rounds_halves_up_and_refuses_nonsense() -> None:
    # RULES: PIPE-3 — one unit's worth of a line (the exchange coupon) in whole fen
    from mallcore.money import divide_half_up

    assert divide_half_up(1000, 3) == 333
    assert divide_half_up(1001, 2) == 501  # 500.5 → 501
    assert divide_half_up(999, 2) == 500  # 499.5 → 500
    assert divide_half_up(0, 7) == 0
    for bad in ((-1, 2), (1, 0)):
        with pytest.raises(InvalidInput):
            divide_half_up(*bad)
