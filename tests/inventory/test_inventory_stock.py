"""Stock buckets and their movements: ORD-9 (both strategies), ORD-6 (release), PRE-2, AS-3."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable, Iterable

import pytest

from mallcore.errors import (
    InvalidInput,
    InvalidTransition,
    LimitReached,
    MallcoreError,
    NotAllowed,
    NotFound,
)
from mallcore.inventory import Inventory, Movement, MovementKind, StockLevel


def stocked(**skus: int) -> Inventory:
    inv = Inventory("shop-1")
    for sku, quantity in skus.items():
        inv.receive(sku, quantity, ref="po-1")
    return inv


def snapshot(inv: Inventory, refs: Iterable[str] = ()) -> object:
    """Everything observable, to prove a refused call changed nothing."""
    return (
        {sku: inv.level(sku) for sku in inv.skus()},
        inv.movements,
        {ref: (inv.reservation(ref), inv.sold_under(ref)) for ref in refs},
    )


def level(available: int, reserved: int = 0, sold: int = 0, oversell: bool = False) -> StockLevel:
    return StockLevel(available=available, reserved=reserved, sold=sold, oversell=oversell)


# --- receive -------------------------------------------------------------------------


# RULES: ORD-9
def test_receive_adds_available_and_makes_the_sku_known() -> None:
    inv = Inventory()
    assert inv.skus() == ()
    inv.receive("A", 5, ref="po-1")
    inv.receive("B", 1, ref="po-1")
    inv.receive("A", 2, ref="po-2")
    assert inv.skus() == ("A", "B")
    assert inv.level("A") == level(7)
    assert inv.level("A").total == 7
    assert inv.movements == (
        Movement(MovementKind.RECEIVE, "A", 5, "po-1"),
        Movement(MovementKind.RECEIVE, "B", 1, "po-1"),
        Movement(MovementKind.RECEIVE, "A", 2, "po-2"),
    )


# RULES: ORD-9
@pytest.mark.parametrize(
    ("sku", "quantity", "ref"),
    [
        ("A", 0, "po"),
        ("A", -3, "po"),
        ("A", True, "po"),
        ("A", 2.0, "po"),
        ("A", "2", "po"),
        ("", 1, "po"),
        ("  ", 1, "po"),
        (" A", 1, "po"),
        (7, 1, "po"),
        ("A", 1, ""),
        ("A", 1, None),
    ],
)
def test_receive_refuses_impossible_input_and_changes_nothing(
    sku: object, quantity: object, ref: object
) -> None:
    inv = stocked(A=3)
    before = snapshot(inv)
    with pytest.raises(InvalidInput) as err:
        inv.receive(sku, quantity, ref=ref)  # type: ignore[arg-type]
    assert err.value.rule == "ORD-9"
    assert snapshot(inv) == before


def test_level_of_an_unknown_sku_is_not_found() -> None:
    with pytest.raises(NotFound) as err:
        stocked(A=1).level("Z")
    assert "'Z'" in str(err.value)


# --- reserve (reduce at order creation) ------------------------------------------------


# RULES: ORD-9
def test_reserve_moves_available_to_reserved_and_is_recorded() -> None:
    inv = stocked(A=5, B=2)
    inv.reserve("o1", [("A", 3), ("B", 2)])
    assert inv.level("A") == level(2, reserved=3)
    assert inv.level("B") == level(0, reserved=2)  # the last units can be reserved
    assert inv.reservation("o1") == (("A", 3), ("B", 2))
    assert inv.reservation("o2") is None
    assert inv.movements[-2:] == (
        Movement(MovementKind.RESERVE, "A", 3, "o1"),
        Movement(MovementKind.RESERVE, "B", 2, "o1"),
    )


# RULES: ORD-9
def test_one_sku_on_two_lines_is_checked_and_reserved_as_its_sum() -> None:
    inv = stocked(A=5, B=5)
    with pytest.raises(LimitReached) as err:
        inv.reserve("o1", [("A", 3), ("B", 1), ("A", 3)])  # 6 of A, each line alone fits
    assert "6 asked, 5 available" in str(err.value)
    inv.reserve("o1", [("A", 2), ("B", 1), ("A", 3)])
    assert inv.reservation("o1") == (("A", 5), ("B", 1))
    assert inv.level("A") == level(0, reserved=5)


# RULES: ORD-9
def test_reserve_short_of_stock_is_refused_naming_the_sku_and_changes_nothing() -> None:
    inv = stocked(A=5, B=1, C=4)
    inv.reserve("o0", [("C", 4)])
    before = snapshot(inv, ["o1"])
    with pytest.raises(LimitReached) as err:
        # A fits; B and C do not: all or nothing, so A is not reserved either
        inv.reserve("o1", [("A", 2), ("B", 2), ("C", 1)])
    assert err.value.rule == "ORD-9"
    assert "'o1'" in err.value.refused
    assert "SKU 'B': 2 asked, 1 available" in err.value.reason
    assert "SKU 'C': 1 asked, 0 available" in err.value.reason  # reserved is not available
    assert "'A'" not in err.value.reason
    assert snapshot(inv, ["o1"]) == before


# RULES: ORD-9
def test_a_refused_reserve_does_not_burn_the_reference() -> None:
    inv = stocked(A=1)
    with pytest.raises(LimitReached):
        inv.reserve("o1", [("A", 2)])
    inv.receive("A", 1, ref="po-2")
    inv.reserve("o1", [("A", 2)])
    assert inv.level("A") == level(0, reserved=2)


# RULES: ORD-9
def test_reserve_of_an_unknown_sku_is_not_found_and_changes_nothing() -> None:
    inv = stocked(A=5)
    before = snapshot(inv, ["o1"])
    with pytest.raises(NotFound) as err:
        inv.reserve("o1", [("A", 1), ("ghost", 1)])
    assert "'ghost'" in str(err.value)
    assert snapshot(inv, ["o1"]) == before


# RULES: ORD-9
@pytest.mark.parametrize(
    "items",
    [
        [],
        [("A", 0)],
        [("A", -1)],
        [("A", 1), ("A", 0)],
        [("A", 1.5)],
        [("A", True)],
        [("A", None)],
        [("", 1)],
        [("A",)],
        [("A", 1, 2)],
        ["A1"],
        [["A", 1]],
        "A",
        {"A": 1},
        None,
    ],
)
def test_reserve_refuses_malformed_items_and_changes_nothing(items: object) -> None:
    inv = stocked(A=5)
    before = snapshot(inv, ["o1"])
    with pytest.raises(InvalidInput) as err:
        inv.reserve("o1", items)  # type: ignore[arg-type]
    assert err.value.rule == "ORD-9"
    assert snapshot(inv, ["o1"]) == before
    inv.reserve("o1", [("A", 1)])  # the reference is still free


# RULES: ORD-9
@pytest.mark.parametrize("settle", ["open", "release", "commit"])
def test_a_reference_reserves_only_once_so_a_retry_cannot_double_reserve(settle: str) -> None:
    inv = stocked(A=10)
    inv.reserve("o1", [("A", 2)])
    if settle == "release":
        assert inv.release("o1")
    elif settle == "commit":
        inv.commit("o1")
    before = snapshot(inv, ["o1"])
    for items in ([("A", 2)], [("A", 1)]):
        with pytest.raises(NotAllowed) as err:
            inv.reserve("o1", items)
        assert not isinstance(err.value, LimitReached)
        assert err.value.rule == "ORD-9"
        assert "'o1'" in str(err.value)
    assert snapshot(inv, ["o1"]) == before


# --- release (ORD-6) -------------------------------------------------------------------


# RULES: ORD-6
def test_release_gives_the_reservation_back_once() -> None:
    inv = stocked(A=5, B=3)
    inv.reserve("o1", [("A", 4), ("B", 3)])
    assert inv.release("o1") is True
    assert inv.level("A") == level(5)
    assert inv.level("B") == level(3)
    assert inv.reservation("o1") is None
    assert inv.movements[-2:] == (
        Movement(MovementKind.RELEASE, "A", 4, "o1"),
        Movement(MovementKind.RELEASE, "B", 3, "o1"),
    )
    # auto-close and the buyer's cancel race: the second one is a no-op
    before = snapshot(inv, ["o1"])
    assert inv.release("o1") is False
    assert snapshot(inv, ["o1"]) == before


# RULES: ORD-6
def test_release_of_an_unknown_or_paid_reference_is_a_no_op() -> None:
    inv = stocked(A=5)
    inv.reserve("paid", [("A", 2)])
    inv.commit("paid")
    before = snapshot(inv, ["paid", "never"])
    assert inv.release("never") is False
    assert inv.release("paid") is False  # a paid order's stock stays sold
    assert snapshot(inv, ["paid", "never"]) == before


# RULES: ORD-6
def test_released_stock_can_be_bought_by_someone_else() -> None:
    inv = stocked(A=1)
    inv.reserve("o1", [("A", 1)])
    with pytest.raises(LimitReached):
        inv.reserve("o2", [("A", 1)])
    inv.release("o1")
    inv.reserve("o2", [("A", 1)])
    assert inv.reservation("o2") == (("A", 1),)


# --- commit ----------------------------------------------------------------------------


# RULES: ORD-9
def test_commit_turns_the_reservation_into_a_sale() -> None:
    inv = stocked(A=5)
    inv.reserve("o1", [("A", 3)])
    inv.commit("o1")
    assert inv.level("A") == level(2, sold=3)
    assert inv.reservation("o1") is None
    assert inv.sold_under("o1") == (("A", 3),)
    assert inv.movements[-1] == Movement(MovementKind.COMMIT, "A", 3, "o1")


# RULES: ORD-9
def test_commit_of_an_unknown_reference_is_not_found() -> None:
    inv = stocked(A=5)
    before = snapshot(inv, ["o9"])
    with pytest.raises(NotFound) as err:
        inv.commit("o9")
    assert "'o9'" in str(err.value)
    assert snapshot(inv, ["o9"]) == before


# RULES: ORD-6
def test_paying_after_the_order_closed_is_refused_not_oversold() -> None:
    inv = stocked(A=1)
    inv.reserve("late", [("A", 1)])
    inv.release("late")  # auto-closed unpaid
    inv.reserve("fast", [("A", 1)])  # the unit went to another buyer
    before = snapshot(inv, ["late", "fast"])
    with pytest.raises(InvalidTransition) as err:
        inv.commit("late")
    assert (err.value.status, err.value.rule) == ("released", "ORD-6")
    assert snapshot(inv, ["late", "fast"]) == before


# RULES: ORD-9
def test_commit_twice_is_refused_and_sells_nothing_more() -> None:
    inv = stocked(A=5)
    inv.reserve("o1", [("A", 2)])
    inv.commit("o1")
    before = snapshot(inv, ["o1"])
    with pytest.raises(InvalidTransition) as err:
        inv.commit("o1")
    assert err.value.status == "committed"
    assert snapshot(inv, ["o1"]) == before


# --- take (reduce at payment) ----------------------------------------------------------


# RULES: ORD-9
def test_take_sells_from_available_directly() -> None:
    inv = stocked(A=5, B=1)
    inv.take("o1", [("A", 2), ("B", 1)])
    assert inv.level("A") == level(3, sold=2)
    assert inv.level("B") == level(0, sold=1)
    assert inv.reservation("o1") is None
    assert inv.sold_under("o1") == (("A", 2), ("B", 1))
    assert inv.movements[-2:] == (
        Movement(MovementKind.TAKE, "A", 2, "o1"),
        Movement(MovementKind.TAKE, "B", 1, "o1"),
    )


# RULES: ORD-9
def test_paying_for_stock_that_is_gone_is_caught_and_changes_nothing() -> None:
    inv = stocked(A=3, B=2)
    inv.take("first", [("B", 2)])  # another buyer paid first
    before = snapshot(inv, ["second"])
    with pytest.raises(LimitReached) as err:
        inv.take("second", [("A", 1), ("B", 1)])
    assert err.value.rule == "ORD-9"
    assert "SKU 'B': 1 asked, 0 available" in err.value.reason
    assert "nothing was taken" in err.value.reason
    assert snapshot(inv, ["second"]) == before


# RULES: ORD-9
def test_take_cannot_use_stock_reserved_by_another_order() -> None:
    inv = stocked(A=2)
    inv.reserve("hoarder", [("A", 2)])
    with pytest.raises(LimitReached):
        inv.take("payer", [("A", 1)])
    assert inv.level("A") == level(0, reserved=2)


# RULES: ORD-9
def test_a_reference_takes_only_once_so_a_repeated_payment_cannot_sell_twice() -> None:
    inv = stocked(A=5)
    inv.take("o1", [("A", 2)])
    before = snapshot(inv, ["o1"])
    with pytest.raises(NotAllowed) as err:
        inv.take("o1", [("A", 2)])
    assert not isinstance(err.value, LimitReached)
    assert err.value.rule == "ORD-9"
    assert snapshot(inv, ["o1"]) == before


# RULES: ORD-9
def test_an_order_may_mix_both_strategies_under_one_reference() -> None:
    inv = stocked(A=5, B=5)
    inv.reserve("o1", [("A", 1)])  # product A reduces at order creation
    inv.commit("o1")  # payment: A's reservation is sold ...
    inv.take("o1", [("B", 2), ("A", 1)])  # ... and the at-payment lines are taken
    assert inv.level("A") == level(3, sold=2)
    assert inv.sold_under("o1") == (("A", 2), ("B", 2))


# RULES: ORD-9
def test_take_refuses_unknown_skus_and_malformed_items() -> None:
    inv = stocked(A=5)
    before = snapshot(inv, ["o1"])
    with pytest.raises(NotFound):
        inv.take("o1", [("A", 1), ("ghost", 1)])
    with pytest.raises(InvalidInput):
        inv.take("o1", [("A", 0)])
    with pytest.raises(InvalidInput):
        inv.take(" o1", [("A", 1)])
    assert snapshot(inv, ["o1"]) == before
    inv.take("o1", [("A", 1)])  # none of the refusals used up the reference


# --- oversell (PRE-2) ------------------------------------------------------------------


# RULES: PRE-2, ORD-9
def test_a_presale_sku_may_be_ordered_at_zero_stock() -> None:
    inv = Inventory()
    inv.set_oversell("P", True)  # a pre-sale SKU with no stock yet
    assert inv.level("P") == level(0, oversell=True)
    inv.reserve("o1", [("P", 3)])
    inv.take("o2", [("P", 2)])
    assert inv.level("P") == level(-5, reserved=3, sold=2, oversell=True)
    assert inv.level("P").total == 0  # nothing was received yet: conservation holds
    inv.receive("P", 5, ref="po-1")
    assert inv.level("P") == level(0, reserved=3, sold=2, oversell=True)


# RULES: PRE-2, ORD-9
def test_only_the_oversell_sku_may_go_below_zero() -> None:
    inv = stocked(A=1)
    inv.set_oversell("P", True)
    before = snapshot(inv, ["o1"])
    with pytest.raises(LimitReached) as err:
        inv.reserve("o1", [("P", 4), ("A", 2)])
    assert "'P'" not in err.value.reason
    assert "SKU 'A': 2 asked, 1 available" in err.value.reason
    assert snapshot(inv, ["o1"]) == before


# RULES: PRE-2
def test_overselling_cannot_be_switched_off_while_oversold() -> None:
    inv = stocked(P=1)
    inv.set_oversell("P", True)
    inv.take("o1", [("P", 3)])
    before = snapshot(inv)
    with pytest.raises(NotAllowed) as err:
        inv.set_oversell("P", False)
    assert err.value.rule == "PRE-2"
    assert "2 units are already oversold" in err.value.reason
    assert snapshot(inv) == before
    inv.receive("P", 2, ref="po-2")
    inv.set_oversell("P", False)
    assert inv.level("P") == level(0, sold=3)
    with pytest.raises(LimitReached):
        inv.take("o2", [("P", 1)])


# RULES: PRE-2
@pytest.mark.parametrize(("sku", "allowed"), [("P", 1), ("P", None), ("P", "yes"), ("", True)])
def test_set_oversell_refuses_non_bools_and_bad_ids(sku: object, allowed: object) -> None:
    inv = stocked(P=1)
    with pytest.raises(InvalidInput) as err:
        inv.set_oversell(sku, allowed)  # type: ignore[arg-type]
    assert err.value.rule == "PRE-2"
    assert inv.level("P") == level(1)


# --- restock (returns after a refund) --------------------------------------------------


# RULES: AS-3
def test_restock_puts_returned_goods_back_on_sale() -> None:
    inv = stocked(A=5, B=5)
    inv.reserve("o1", [("A", 3)])
    inv.commit("o1")
    inv.take("o1", [("B", 2)])
    inv.restock("o1", [("A", 1), ("B", 2)])
    assert inv.level("A") == level(3, sold=2)
    assert inv.level("B") == level(5)
    assert inv.sold_under("o1") == (("A", 2),)
    assert inv.movements[-2:] == (
        Movement(MovementKind.RESTOCK, "A", 1, "o1"),
        Movement(MovementKind.RESTOCK, "B", 2, "o1"),
    )
    inv.restock("o1", [("A", 2)])
    assert inv.sold_under("o1") == ()
    assert inv.level("A") == level(5)


# RULES: AS-3
def test_restock_never_puts_back_more_than_the_order_bought() -> None:
    inv = stocked(A=5, B=5)
    inv.take("o1", [("A", 2)])
    inv.take("o2", [("A", 3), ("B", 1)])
    before = snapshot(inv, ["o1", "o2"])
    cases: list[list[tuple[str, int]]] = [
        [("A", 3)],  # o1 bought 2, although 5 of A are sold in all
        [("A", 1), ("A", 2)],  # the sum of two lines counts
        [("A", 1), ("B", 1)],  # B was not in o1
    ]
    for items in cases:
        with pytest.raises(LimitReached) as err:
            inv.restock("o1", items)
        assert err.value.rule == "AS-3"
        assert "nothing was restocked" in err.value.reason
        assert snapshot(inv, ["o1", "o2"]) == before
    inv.restock("o1", [("A", 2)])
    with pytest.raises(LimitReached) as err:
        inv.restock("o1", [("A", 1)])  # already all returned
    assert "SKU 'A': 1 returned, 0 sold" in err.value.reason


# RULES: AS-3
def test_restock_of_unsold_references_and_unknown_skus_is_not_found() -> None:
    inv = stocked(A=5)
    inv.reserve("open", [("A", 1)])
    inv.take("o1", [("A", 1)])
    before = snapshot(inv, ["open", "o1"])
    with pytest.raises(NotFound):
        inv.restock("never", [("A", 1)])
    with pytest.raises(NotFound):
        inv.restock("open", [("A", 1)])  # reserved, never paid: release it instead
    with pytest.raises(NotFound):
        inv.restock("o1", [("ghost", 1)])
    with pytest.raises(InvalidInput):
        inv.restock("o1", [])
    assert snapshot(inv, ["open", "o1"]) == before


# --- the trail and the errors ----------------------------------------------------------


def test_a_copy_is_independent_and_keeps_working() -> None:
    inv = stocked(A=3)
    inv.reserve("o1", [("A", 1)])
    for clone in (copy.deepcopy(inv), pickle.loads(pickle.dumps(inv))):
        clone.commit("o1")
        clone.take("o2", [("A", 2)])
        assert clone.level("A") == level(0, sold=3)
        assert clone.shop_id == "shop-1"
    assert inv.level("A") == level(2, reserved=1)
    assert inv.reservation("o1") == (("A", 1),)


def test_every_refusal_is_a_mallcore_error_with_a_rule() -> None:
    inv = stocked(A=1)
    inv.take("o1", [("A", 1)])
    calls: list[Callable[[], object]] = [
        lambda: inv.reserve("o2", [("A", 1)]),
        lambda: inv.take("o1", [("A", 1)]),
        lambda: inv.commit("o2"),
        lambda: inv.restock("o1", [("A", 2)]),
        lambda: inv.level("Z"),
        lambda: Inventory(" shop"),
    ]
    for call in calls:
        with pytest.raises(MallcoreError) as err:
            call()
        assert err.value.rule is not None
        assert f"[{err.value.rule}]" in str(err.value)
