"""Membership levels and experience: MEM-1, MEM-2, MEM-3."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mallcore.customers import DEFAULT_LEVEL, Level, LevelLadder, experience_for
from mallcore.errors import InvalidConfiguration, InvalidInput, NotAllowed, NotFound
from mallcore.money import Rate

SILVER = Level("silver", "银会员", 100, Rate.zhe("9.5"))
GOLD = Level("gold", "金会员", 500, Rate.zhe("9"), icon="gold.png")


def ladder() -> LevelLadder:
    return LevelLadder([GOLD, SILVER])


# RULES: MEM-1
def test_a_ladder_always_holds_the_default_level() -> None:
    assert LevelLadder().levels() == (DEFAULT_LEVEL,)
    assert DEFAULT_LEVEL.id == "regular"
    assert DEFAULT_LEVEL.experience_needed == 0
    assert DEFAULT_LEVEL.discount is None
    assert ladder().default == DEFAULT_LEVEL


# RULES: MEM-1
def test_levels_carry_name_experience_discount_and_icon_sorted_by_threshold() -> None:
    levels = ladder().levels()
    assert [level.id for level in levels] == ["regular", "silver", "gold"]
    assert ladder().get("gold").icon == "gold.png"
    assert ladder().get("gold").discount == Rate(Decimal("0.9"))


# RULES: MEM-1
def test_the_default_level_cannot_be_deleted() -> None:
    original = ladder()
    with pytest.raises(NotAllowed) as err:
        original.remove("regular")
    assert err.value.rule == "MEM-1"
    assert "regular" in str(err.value)
    assert "regular" in original


# RULES: MEM-1
def test_the_default_level_can_be_renamed_but_must_stay_at_zero() -> None:
    renamed = ladder().replace(Level("regular", "Member", 0, None, icon="m.png"))
    assert renamed.default.name == "Member"
    with pytest.raises(InvalidConfiguration) as err:
        ladder().replace(Level("regular", "Member", 10, None))
    assert err.value.rule == "MEM-1"
    with pytest.raises(InvalidConfiguration):
        LevelLadder([Level("regular", "Member", 1, None)])


# RULES: MEM-1
def test_add_and_remove_return_new_ladders_and_leave_the_old_one_alone() -> None:
    base = LevelLadder()
    grown = base.add(SILVER)
    assert "silver" not in base
    assert grown.get("silver") == SILVER
    shrunk = grown.remove("silver")
    assert shrunk == base
    assert "silver" in grown
    assert len(grown) == 2
    assert list(grown) == [DEFAULT_LEVEL, SILVER]


# RULES: MEM-1
def test_two_levels_may_not_share_an_id() -> None:
    with pytest.raises(InvalidConfiguration) as err:
        ladder().add(Level("silver", "Other silver", 200, None))
    assert err.value.rule == "MEM-1"
    with pytest.raises(InvalidConfiguration):
        LevelLadder([SILVER, Level("silver", "Again", 300, None)])


# RULES: MEM-3
def test_two_levels_may_not_share_a_threshold() -> None:
    with pytest.raises(InvalidConfiguration) as err:
        ladder().add(Level("platinum", "白金", 500, Rate.zhe("8")))
    assert err.value.rule == "MEM-3"
    assert "gold" in str(err.value)
    with pytest.raises(InvalidConfiguration):
        LevelLadder([Level("free", "Free", 0, None)])  # clashes with "regular"


# RULES: MEM-1
def test_unknown_levels_are_not_found() -> None:
    with pytest.raises(NotFound):
        ladder().get("diamond")
    with pytest.raises(NotFound):
        ladder().remove("diamond")
    with pytest.raises(NotFound):
        ladder().replace(Level("diamond", "钻石", 900, None))


# RULES: MEM-1
@pytest.mark.parametrize(
    "kwargs",
    [
        {"id": "", "name": "x", "experience_needed": 1, "discount": None},
        {"id": "x", "name": " ", "experience_needed": 1, "discount": None},
        {"id": "x", "name": "x", "experience_needed": -1, "discount": None},
        {"id": "x", "name": "x", "experience_needed": True, "discount": None},
        {"id": "x", "name": "x", "experience_needed": 1.0, "discount": None},
        {"id": "x", "name": "x", "experience_needed": 1, "discount": Decimal("0.9")},
        {"id": "x", "name": "x", "experience_needed": 1, "discount": None, "icon": ""},
    ],
)
def test_malformed_levels_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidConfiguration) as err:
        Level(**kwargs)  # type: ignore[arg-type]
    assert err.value.rule == "MEM-1"


# RULES: MEM-1
def test_a_ladder_refuses_things_that_are_not_levels() -> None:
    with pytest.raises(InvalidConfiguration):
        LevelLadder(["gold"])  # type: ignore[list-item]


# RULES: MEM-3
@pytest.mark.parametrize(
    ("experience", "level_id"),
    [
        (0, "regular"),
        (99, "regular"),
        (100, "silver"),
        (499, "silver"),
        (500, "gold"),
        (10**12, "gold"),
    ],
)
def test_the_level_is_the_highest_threshold_reached(experience: int, level_id: str) -> None:
    assert ladder().level_for(experience).id == level_id


# RULES: MEM-3
@pytest.mark.parametrize("experience", [-1, True, 1.5, "10"])
def test_level_for_refuses_impossible_experience(experience: object) -> None:
    with pytest.raises(InvalidInput) as err:
        ladder().level_for(experience)  # type: ignore[arg-type]
    assert err.value.rule == "MEM-3"


# RULES: MEM-3, PIPE-2
def test_the_level_discount_is_what_stage_three_applies() -> None:
    gold = ladder().level_for(600)
    assert gold.discount is not None
    assert gold.discount.discount_of(8300) == 830  # 83.00 → 74.70 in the golden example
    assert ladder().level_for(0).discount is None


thresholds = st.lists(st.integers(1, 10_000), unique=True, max_size=8)


# RULES: MEM-3
@given(thresholds, st.integers(0, 20_000), st.integers(0, 20_000))
def test_level_for_is_the_highest_reached_and_monotone(needed: list[int], a: int, b: int) -> None:
    built = LevelLadder(Level(f"l{n}", f"L{n}", n, None) for n in needed)
    low, high = sorted((a, b))
    level = built.level_for(low)
    assert level.experience_needed <= low
    assert not [n for n in needed if level.experience_needed < n <= low]
    assert built.level_for(high).experience_needed >= level.experience_needed


# RULES: MEM-2
@pytest.mark.parametrize(
    ("paid_fen", "per_yuan", "experience"),
    [
        (100, 10, 10),  # ¥1 → 10 exp
        (2, 10, 1),  # ¥0.02 → 0.2 → rounds up to 1
        (9, 10, 1),  # 0.9 → 1
        (1, 1, 1),  # 0.01 → 1
        (10, 10, 1),  # exactly 1
        (11, 10, 1),  # 1.1 → 1, larger results drop the fraction
        (19, 10, 1),
        (20, 10, 2),
        (1234, 10, 123),  # ¥12.34 → 123.4 → 123
        (0, 10, 0),  # nothing paid, nothing earned
        (500, 0, 0),  # experience switched off
        (12_345_678, 3, 370_370),
    ],
)
def test_experience_for_paid_amount(paid_fen: int, per_yuan: int, experience: int) -> None:
    assert experience_for(paid_fen, per_yuan) == experience


# RULES: MEM-2
@pytest.mark.parametrize(
    ("paid_fen", "per_yuan"), [(-1, 10), (100, -1), (1.5, 10), (100, 1.0), (True, 10), ("1", 10)]
)
def test_experience_for_refuses_impossible_inputs(paid_fen: object, per_yuan: object) -> None:
    with pytest.raises(InvalidInput) as err:
        experience_for(paid_fen, per_yuan)  # type: ignore[arg-type]
    assert err.value.rule == "MEM-2"


# RULES: MEM-2
@given(st.integers(0, 10**9), st.integers(0, 10**9), st.integers(1, 1000))
def test_experience_is_monotone_in_the_amount(a: int, b: int, per_yuan: int) -> None:
    low, high = sorted((a, b))
    assert experience_for(low, per_yuan) <= experience_for(high, per_yuan)


# RULES: MEM-2
@given(st.integers(1, 10**9), st.integers(1, 1000))
def test_positive_amounts_earn_at_least_one_and_never_more_than_exact(
    paid_fen: int, per_yuan: int
) -> None:
    earned = experience_for(paid_fen, per_yuan)
    exact_times_100 = paid_fen * per_yuan
    assert earned >= 1
    if exact_times_100 >= 100:
        assert earned * 100 <= exact_times_100 < (earned + 1) * 100
