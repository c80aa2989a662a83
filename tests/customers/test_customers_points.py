"""Earning, spending at checkout and expiry dates: PTS-1, PTS-2, PTS-3."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mallcore.customers import PointsDeduction, PointsPolicy, earned_points, expiry_of
from mallcore.errors import InvalidConfiguration, InvalidInput

CST = timezone(timedelta(hours=8))


# RULES: PTS-1
@pytest.mark.parametrize(
    ("price_fen", "quantity", "coefficient", "points"),
    [
        (1250, 2, Decimal(1), 25),  # fraction dropped on the line total, not per unit
        (1250, 1, Decimal(1), 12),  # 12.5 → 12
        (999, 1, Decimal("0.5"), 4),  # 4.995 → 4, never rounded up
        (1999, 3, Decimal("0.1"), 5),  # 5.997 → 5
        (10000, 1, Decimal(2), 200),
        (10000, 1, Decimal(0), 0),
        (0, 5, Decimal(3), 0),
    ],
)
def test_points_are_list_price_times_coefficient_fractions_dropped(
    price_fen: int, quantity: int, coefficient: Decimal, points: int
) -> None:
    assert earned_points(price_fen, quantity, coefficient) == points


# RULES: PTS-1
@pytest.mark.parametrize(
    ("price_fen", "quantity", "coefficient"),
    [
        (-1, 1, Decimal(1)),
        (100, 0, Decimal(1)),
        (100, -2, Decimal(1)),
        (100, 1, Decimal(-1)),
        (100, 1, Decimal("NaN")),
        (100, 1, Decimal("Infinity")),
        (100, 1, 1.0),
        (100, 1, 1),
        (100.0, 1, Decimal(1)),
        (True, 1, Decimal(1)),
    ],
)
def test_earned_points_refuses_impossible_inputs(
    price_fen: object, quantity: object, coefficient: object
) -> None:
    with pytest.raises(InvalidInput) as err:
        earned_points(price_fen, quantity, coefficient)  # type: ignore[arg-type]
    assert err.value.rule == "PTS-1"


coefficients = st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False)


# RULES: PTS-1
@given(st.integers(0, 10**8), st.integers(1, 1000), coefficients)
def test_earned_points_is_the_exact_floor(price_fen: int, quantity: int, coef: Decimal) -> None:
    exact = Fraction(price_fen * quantity, 100) * Fraction(coef)
    points = earned_points(price_fen, quantity, coef)
    assert points <= exact < points + 1


# RULES: PTS-2
def test_policy_defaults_are_one_point_per_yuan_uncapped_with_expiry() -> None:
    policy = PointsPolicy()
    assert (policy.enabled, policy.points_per_yuan, policy.cap_percent, policy.expiry_enabled) == (
        True,
        1,
        100,
        True,
    )


# RULES: PTS-2
@pytest.mark.parametrize(
    "kwargs",
    [
        {"points_per_yuan": 0},
        {"points_per_yuan": -5},
        {"points_per_yuan": 1.5},
        {"cap_percent": -1},
        {"cap_percent": 101},
        {"cap_percent": 50.0},
        {"enabled": 1},
        {"expiry_enabled": "yes"},
    ],
)
def test_impossible_policies_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidConfiguration) as err:
        PointsPolicy(**kwargs)  # type: ignore[arg-type]
    assert err.value.rule == "PTS-2"


# RULES: PTS-2, PIPE-2
def test_golden_example_ten_points_pay_ten_yuan() -> None:
    deduction = PointsPolicy(points_per_yuan=1).deduction(7470, requested_points=10, balance=500)
    assert deduction == PointsDeduction(points=10, fen=1000, capped_by="requested")
    assert 7470 - deduction.fen == 6470


# RULES: PTS-2
def test_the_money_value_is_whole_yuan_fractions_dropped() -> None:
    # 9.80 of order: points may pay 9, never 9.80 and never 10.
    deduction = PointsPolicy().deduction(980, requested_points=100, balance=100)
    assert deduction == PointsDeduction(points=9, fen=900, capped_by="amount")
    assert deduction.yuan == 9


# RULES: PTS-2
def test_the_cap_is_a_percentage_of_the_order_amount() -> None:
    policy = PointsPolicy(cap_percent=50)
    assert policy.deduction(10000, 100, 100) == PointsDeduction(50, 5000, "cap")
    # 50% of 19.99 is 9.995: whole yuan → 9
    assert policy.deduction(1999, 100, 100) == PointsDeduction(9, 900, "cap")
    assert PointsPolicy(cap_percent=0).deduction(10000, 100, 100) == PointsDeduction(0, 0, "cap")


# RULES: PTS-2
def test_the_exchange_rate_converts_points_to_whole_yuan() -> None:
    policy = PointsPolicy(points_per_yuan=100)
    # 250 points requested buys 2.00 and uses 200: the odd 50 points stay.
    assert policy.deduction(10000, 250, 1000) == PointsDeduction(200, 200, "requested")
    # a balance of 150 buys only 1.00
    assert policy.deduction(10000, 1000, 150) == PointsDeduction(100, 100, "balance")
    # 99 points buy nothing
    assert policy.deduction(10000, 99, 99) == PointsDeduction(0, 0, "requested")


# RULES: PTS-2, PTS-4
def test_requesting_more_than_the_balance_uses_what_the_balance_allows() -> None:
    assert PointsPolicy().deduction(10000, 80, 30) == PointsDeduction(30, 3000, "balance")


# RULES: PTS-2
def test_a_disabled_policy_deducts_nothing() -> None:
    policy = PointsPolicy(enabled=False)
    assert policy.deduction(10000, 50, 50) == PointsDeduction(0, 0, None)


# RULES: PTS-2
@pytest.mark.parametrize(
    ("amount", "requested", "balance", "rule"),
    [
        (10000, -1, 10, "PTS-2"),
        (-100, 1, 10, "PTS-2"),
        (10000, 1, -10, "PTS-4"),
        (100.0, 1, 10, "PTS-2"),
        (10000, 1.5, 10, "PTS-2"),
        (10000, True, 10, "PTS-2"),
    ],
)
def test_deduction_refuses_impossible_inputs(
    amount: object, requested: object, balance: object, rule: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        PointsPolicy().deduction(amount, requested, balance)  # type: ignore[arg-type]
    assert err.value.rule == rule
    # the refusal holds for a disabled policy too: bad input is never silently zero
    with pytest.raises(InvalidInput):
        PointsPolicy(enabled=False).deduction(amount, requested, balance)  # type: ignore[arg-type]


policies = st.builds(
    PointsPolicy,
    enabled=st.just(True),
    points_per_yuan=st.sampled_from([1, 2, 10, 100]) | st.integers(1, 1000),
    cap_percent=st.integers(0, 100),
)


# RULES: PTS-2
@given(policies, st.integers(0, 10**8), st.integers(0, 10**6), st.integers(0, 10**6))
def test_deduction_never_exceeds_any_limit_and_is_whole_yuan(
    policy: PointsPolicy, amount: int, requested: int, balance: int
) -> None:
    d = policy.deduction(amount, requested, balance)
    rate = policy.points_per_yuan
    assert d.fen % 100 == 0
    assert d.points == d.yuan * rate
    assert d.fen <= amount
    assert d.fen * 100 <= amount * policy.cap_percent
    assert d.points <= requested
    assert d.points <= balance
    # ... and it is the largest whole-yuan amount within every limit
    more_fen, more_points = d.fen + 100, d.points + rate
    assert (
        more_fen * 100 > amount * policy.cap_percent
        or more_points > requested
        or more_points > balance
    )


# RULES: PTS-2
@given(policies, st.integers(0, 10**8), st.integers(0, 10**6), st.integers(0, 10**6))
def test_capped_by_names_a_limit_that_binds(
    policy: PointsPolicy, amount: int, requested: int, balance: int
) -> None:
    d = policy.deduction(amount, requested, balance)
    rate = policy.points_per_yuan
    binds = {
        "requested": d.points + rate > requested,
        "balance": d.points + rate > balance,
        "cap": policy.cap_percent < 100 and (d.fen + 100) * 100 > amount * policy.cap_percent,
        "amount": policy.cap_percent == 100 and d.fen + 100 > amount,
    }
    assert d.capped_by is not None
    assert binds[d.capped_by]


# RULES: PTS-3
@pytest.mark.parametrize(
    ("earned", "expires"),
    [
        (datetime(2018, 1, 1, 0, 0, 0, tzinfo=CST), datetime(2019, 12, 31, 23, 59, 59, tzinfo=CST)),
        (
            datetime(2018, 12, 31, 23, 59, 58, tzinfo=CST),
            datetime(2019, 12, 31, 23, 59, 59, tzinfo=CST),
        ),
        (datetime(2024, 2, 29, 12, 0, tzinfo=CST), datetime(2025, 12, 31, 23, 59, 59, tzinfo=CST)),
    ],
)
def test_points_expire_at_the_end_of_the_next_year(earned: datetime, expires: datetime) -> None:
    assert expiry_of(earned) == expires
    assert expiry_of(earned).tzinfo is earned.tzinfo


# RULES: PTS-3
def test_the_year_is_read_in_the_time_zone_of_the_earning() -> None:
    # 2018-12-31 20:00 UTC is already 2019 in Beijing.
    assert expiry_of(datetime(2018, 12, 31, 20, tzinfo=UTC)).year == 2019
    assert expiry_of(datetime(2018, 12, 31, 20, tzinfo=UTC).astimezone(CST)).year == 2020


# RULES: PTS-3
def test_expiry_refuses_naive_datetimes() -> None:
    with pytest.raises(InvalidInput) as err:
        expiry_of(datetime(2024, 1, 1))
    assert err.value.rule == "PTS-3"
    with pytest.raises(InvalidInput):
        expiry_of("2024-01-01")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        expiry_of(datetime(9999, 1, 1, tzinfo=UTC))


# RULES: PTS-3
@given(
    st.datetimes(
        min_value=datetime(1970, 1, 1),
        max_value=datetime(9000, 1, 1),
        timezones=st.sampled_from([UTC, CST, timezone(timedelta(hours=-11))]),
    )
)
def test_validity_lasts_between_one_and_two_years(earned: datetime) -> None:
    expires = expiry_of(earned)
    assert expires.year == earned.year + 1
    assert (expires.month, expires.day, expires.hour, expires.minute, expires.second) == (
        12,
        31,
        23,
        59,
        59,
    )
    # one year minus the last second at least (earned 23:59:59.5 on 31 Dec), two at most
    assert timedelta(days=365, seconds=-1) <= expires - earned <= timedelta(days=731)
