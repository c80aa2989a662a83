"""Customers: blacklist (CUS-1), tags (CUS-2), levels following experience (MEM-3)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mallcore.customers import Customer, CustomerBook, Level, LevelLadder, experience_for
from mallcore.errors import Conflict, InvalidInput, NotAllowed, NotFound
from mallcore.money import Rate

LADDER = LevelLadder(
    [Level("silver", "银会员", 100, Rate.zhe("9.5")), Level("gold", "金会员", 500, Rate.zhe("9"))]
)


def book(*ids: str) -> CustomerBook:
    customers = CustomerBook()
    for customer_id in ids:
        customers.add(Customer(customer_id, f"name {customer_id}"))
    return customers


def test_a_new_customer_starts_regular_with_no_experience() -> None:
    customer = Customer(
        "c1", "Li", phone="13800000000", registered_at=datetime(2024, 1, 1, tzinfo=UTC)
    )
    assert (customer.level_id, customer.experience, customer.tags, customer.blacklisted) == (
        "regular",
        0,
        frozenset(),
        False,
    )
    customers = CustomerBook()
    assert customers.add(customer) is customer
    assert customers.get("c1") is customer
    assert list(customers) == [customer]
    assert len(customers) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"id": "", "name": "x"},
        {"id": "c", "name": ""},
        {"id": "c", "name": "x", "phone": ""},
        {"id": "c", "name": "x", "experience": -1},
        {"id": "c", "name": "x", "experience": 1.5},
        {"id": "c", "name": "x", "tags": "vip"},
        {"id": "c", "name": "x", "tags": {""}},
        {"id": "c", "name": "x", "blacklisted": "no"},
        {"id": "c", "name": "x", "registered_at": datetime(2024, 1, 1)},
    ],
)
def test_malformed_customers_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        Customer(**kwargs)  # type: ignore[arg-type]


def test_customers_are_unique_and_unknown_ones_are_not_found() -> None:
    customers = book("c1")
    with pytest.raises(Conflict):
        customers.add(Customer("c1", "someone else"))
    assert customers.get("c1").name == "name c1"
    with pytest.raises(NotFound):
        customers.get("c2")
    for action in (
        customers.blacklist,
        customers.lift_blacklist,
        customers.ensure_may_order,
        customers.ensure_may_log_in,
    ):
        with pytest.raises(NotFound):
            action("c2")


# RULES: CUS-1
def test_blacklisted_customers_cannot_log_in_or_order() -> None:
    customers = book("c1", "c2")
    assert customers.blacklist("c1").blacklisted
    with pytest.raises(NotAllowed) as err:
        customers.ensure_may_order("c1")
    assert err.value.rule == "CUS-1"
    assert "c1" in str(err.value) and "blacklisted" in str(err.value)
    with pytest.raises(NotAllowed) as err:
        customers.ensure_may_log_in("c1")
    assert err.value.rule == "CUS-1"
    # others are unaffected
    assert customers.ensure_may_order("c2").id == "c2"
    assert customers.ensure_may_log_in("c2").id == "c2"


# RULES: CUS-1
def test_the_blacklist_can_be_lifted() -> None:
    customers = book("c1")
    customers.blacklist("c1")
    customers.blacklist("c1")  # repeating it is harmless
    assert not customers.lift_blacklist("c1").blacklisted
    assert customers.ensure_may_order("c1").id == "c1"
    assert customers.ensure_may_log_in("c1").id == "c1"


# RULES: CUS-2
def test_tags_must_exist_before_they_are_given() -> None:
    customers = book("c1")
    with pytest.raises(NotFound) as err:
        customers.tag("c1", "vip")
    assert err.value.rule == "CUS-2"
    customers.create_tag("vip")
    assert customers.tag("c1", "vip").tags == {"vip"}
    with pytest.raises(NotFound):
        customers.add(Customer("c2", "x", tags=frozenset({"wholesale"})))
    assert customers.add(Customer("c3", "x", tags=frozenset({"vip"}))).tags == {"vip"}
    with pytest.raises(NotFound):
        customers.tag("nobody", "vip")


# RULES: CUS-2
def test_tag_names_are_unique_and_non_empty() -> None:
    customers = book()
    customers.create_tag("vip")
    with pytest.raises(Conflict):
        customers.create_tag("vip")
    with pytest.raises(InvalidInput) as err:
        customers.create_tag(" ")
    assert err.value.rule == "CUS-2"
    assert customers.tags() == {"vip"}


# RULES: CUS-2
def test_deleting_a_tag_removes_it_from_every_customer() -> None:
    customers = book("c1", "c2", "c3")
    customers.create_tag("vip")
    customers.create_tag("new")
    customers.tag("c1", "vip")
    customers.tag("c2", "vip")
    customers.tag("c2", "new")
    assert customers.delete_tag("vip") == ("c1", "c2")
    assert customers.get("c1").tags == frozenset()
    assert customers.get("c2").tags == {"new"}
    assert customers.tags() == {"new"}
    with pytest.raises(NotFound):
        customers.tag("c3", "vip")
    with pytest.raises(NotFound):
        customers.delete_tag("vip")


# RULES: CUS-2
def test_untag_and_rename() -> None:
    customers = book("c1", "c2")
    customers.create_tag("vip")
    customers.tag("c1", "vip")
    assert customers.untag("c2", "vip").tags == frozenset()  # absent: left as is
    assert customers.rename_tag("vip", "VIP") == ("c1",)
    assert customers.get("c1").tags == {"VIP"}
    assert [c.id for c in customers.tagged("VIP")] == ["c1"]
    with pytest.raises(NotFound):
        customers.untag("c1", "vip")
    customers.create_tag("other")
    with pytest.raises(Conflict):
        customers.rename_tag("VIP", "other")
    assert customers.untag("c1", "VIP").tags == frozenset()


# RULES: CUS-2
@given(
    st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["a", "b", "c"])), max_size=30),
    st.sampled_from(["a", "b", "c"]),
)
def test_after_deleting_a_tag_no_customer_carries_it(
    tagging: list[tuple[int, str]], deleted: str
) -> None:
    customers = book(*(f"c{i}" for i in range(6)))
    for tag in ("a", "b", "c"):
        customers.create_tag(tag)
    for index, tag in tagging:
        customers.tag(f"c{index}", tag)
    others = {c.id: c.tags - {deleted} for c in customers}
    customers.delete_tag(deleted)
    assert {c.id: c.tags for c in customers} == others


# RULES: MEM-3
def test_the_level_follows_experience_upward() -> None:
    customers = book("c1")
    assert customers.gain_experience("c1", 50, LADDER).level_id == "regular"
    assert customers.gain_experience("c1", 60, LADDER).level_id == "silver"  # 110
    assert customers.gain_experience("c1", 389, LADDER).level_id == "silver"  # 499
    gold = customers.gain_experience("c1", 1, LADDER)
    assert (gold.level_id, gold.experience) == ("gold", 500)
    assert customers.get("c1") == gold


# RULES: MEM-2, MEM-3
def test_a_completed_order_moves_the_customer_up() -> None:
    customers = book("c1")
    earned = experience_for(12_345, per_yuan=10)  # ¥123.45 → 1234
    assert customers.gain_experience("c1", earned, LADDER).level_id == "gold"


# RULES: MEM-3
def test_a_level_never_drops_when_thresholds_rise() -> None:
    customers = book("c1")
    customers.gain_experience("c1", 600, LADDER)
    harder = LADDER.replace(Level("gold", "金会员", 5000, Rate.zhe("9")))
    assert customers.gain_experience("c1", 1, harder).level_id == "gold"


# RULES: MEM-3
def test_a_deleted_level_is_replaced_by_the_one_reached() -> None:
    customers = book("c1")
    customers.gain_experience("c1", 600, LADDER)
    assert customers.gain_experience("c1", 0, LADDER.remove("gold")).level_id == "silver"


# RULES: MEM-3
@pytest.mark.parametrize("experience", [-1, 1.5, True])
def test_experience_never_shrinks(experience: object) -> None:
    customers = book("c1")
    customers.gain_experience("c1", 200, LADDER)
    with pytest.raises(InvalidInput) as err:
        customers.gain_experience("c1", experience, LADDER)  # type: ignore[arg-type]
    assert err.value.rule == "MEM-3"
    assert customers.get("c1").experience == 200
    with pytest.raises(NotFound):
        customers.gain_experience("c9", 1, LADDER)


# RULES: MEM-3
@given(st.lists(st.integers(0, 300), max_size=20))
def test_level_is_the_one_experience_reaches_and_never_falls(gains: list[int]) -> None:
    customers = book("c1")
    previous = 0
    for gain in gains:
        customer = customers.gain_experience("c1", gain, LADDER)
        assert customer.level_id == LADDER.level_for(customer.experience).id
        needed = LADDER.get(customer.level_id).experience_needed
        assert needed >= previous
        previous = needed
    assert customers.get("c1").experience == sum(gains)
