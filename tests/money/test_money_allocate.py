"""Allocation of a saving over lines, to the fen (PIPE-3)."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mallcore.errors import InvalidInput
from mallcore.money import allocate

keys = st.text(alphabet="abcdefghij", min_size=1, max_size=3)
weights_maps = st.dictionaries(keys, st.integers(0, 10**9), min_size=1, max_size=12)


@st.composite
def bounded_cases(draw: st.DrawFn) -> tuple[int, dict[str, int]]:
    """A total not above the weights' sum (a saving never exceeds its base)."""
    weights = draw(weights_maps)
    total = draw(st.integers(0, sum(weights.values())))
    return total, weights


# RULES: PIPE-3
@settings(max_examples=300)
@given(bounded_cases())
def test_shares_sum_to_the_total_and_stay_within_each_weight(
    case: tuple[int, dict[str, int]],
) -> None:
    total, weights = case
    shares = allocate(total, weights)
    assert set(shares) == set(weights)
    assert sum(shares.values()) == total
    for key, share in shares.items():
        assert 0 <= share <= weights[key], key


# RULES: PIPE-3
@settings(max_examples=300)
@given(bounded_cases())
def test_each_share_is_within_one_fen_of_its_exact_share(
    case: tuple[int, dict[str, int]],
) -> None:
    total, weights = case
    weight_sum = sum(weights.values())
    if weight_sum == 0:
        return
    for key, share in allocate(total, weights).items():
        exact = Fraction(total * weights[key], weight_sum)
        assert abs(share - exact) < 1, key


# RULES: PIPE-3
@given(weights_maps, st.integers(0, 10**12))
def test_any_total_over_positive_weights_sums_exactly(weights: dict[str, int], total: int
                                                      ) -> None:
    if sum(weights.values()) == 0:
        return
    shares = allocate(total, weights)
    assert sum(shares.values()) == total
    assert all(s >= 0 for s in shares.values())


# RULES: PIPE-3
@settings(max_examples=300)
@given(bounded_cases(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_key_order(case: tuple[int, dict[str, int]],
                                             rnd: random.Random) -> None:
    total, weights = case
    items = list(weights.items())
    rnd.shuffle(items)
    assert allocate(total, dict(items)) == allocate(total, weights)
    assert allocate(total, dict(reversed(items))) == allocate(total, weights)


# RULES: PIPE-3
@given(bounded_cases())
def test_allocation_is_deterministic(case: tuple[int, dict[str, int]]) -> None:
    total, weights = case
    assert allocate(total, weights) == allocate(total, dict(weights))


# RULES: PIPE-3
def test_ties_go_to_the_smaller_key() -> None:
    assert allocate(1, {"b": 1, "a": 1}) == {"a": 1, "b": 0}
    assert allocate(2, {"c": 1, "b": 1, "a": 1}) == {"a": 1, "b": 1, "c": 0}
    assert allocate(1001, {"a": 3333, "b": 3333, "c": 3334, "d": 1}) == {
        "a": 334, "b": 333, "c": 334, "d": 0}


# RULES: PIPE-3
def test_edges() -> None:
    assert allocate(0, {}) == {}
    assert allocate(0, {"a": 0, "b": 0}) == {"a": 0, "b": 0}
    assert allocate(0, {"a": 5}) == {"a": 0}
    assert allocate(5, {"a": 5, "b": 0}) == {"a": 5, "b": 0}
    assert allocate(7, {"a": 10}) == {"a": 7}


# RULES: PIPE-3
@given(weights_maps, st.integers(1, 10**6))
def test_negative_total_is_refused(weights: dict[str, int], magnitude: int) -> None:
    with pytest.raises(InvalidInput) as err:
        allocate(-magnitude, weights)
    assert err.value.rule == "PIPE-3"


# RULES: PIPE-3
@given(weights_maps, keys, st.integers(1, 10**6), st.integers(0, 10**6))
def test_negative_weight_is_refused(weights: dict[str, int], key: str, magnitude: int,
                                    total: int) -> None:
    weights = {**weights, key: -magnitude}
    with pytest.raises(InvalidInput) as err:
        allocate(total, weights)
    assert err.value.rule == "PIPE-3"


# RULES: PIPE-3
@given(st.lists(keys, max_size=6, unique=True), st.integers(1, 10**6))
def test_positive_total_over_zero_weight_is_refused(names: list[str], total: int) -> None:
    with pytest.raises(InvalidInput) as err:
        allocate(total, dict.fromkeys(names, 0))
    assert err.value.rule == "PIPE-3"


# RULES: PIPE-3
@pytest.mark.parametrize("weights", [{}, {"a": 0}, {"a": 0, "b": 0}])
def test_one_fen_over_zero_weight_is_refused(weights: dict[str, int]) -> None:
    with pytest.raises(InvalidInput):
        allocate(1, weights)
