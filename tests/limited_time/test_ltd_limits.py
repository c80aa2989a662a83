"""LTD-2 per-person-per-product limits: modes (a), (b), (c), history, carts, checkout."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mallcore.errors import InvalidConfiguration, InvalidInput, LimitReached
from mallcore.money import from_fen, money
from mallcore.pricing import Buyer, Cart, CartLine, LinePrice, LineSkip, SkipReason
from mallcore.promotions.limited_time import (
    LimitedTimeDiscount,
    LimitedTimeItem,
    LimitedTimeRule,
    LimitMode,
    LimitPer,
    PersonLimit,
    PriceMode,
)
from mallcore.promotions.window import Window

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 5, 1, 10, 0, tzinfo=CST)
WINDOW = Window(datetime(2026, 5, 1, tzinfo=CST), datetime(2026, 5, 8, tzinfo=CST))
ALICE = Buyer("alice")
A, B, C = LimitMode.ALL_OR_NOTHING, LimitMode.FIRST_N, LimitMode.FIRST_N_ONLY


class History:
    """A purchase history that records how it was asked."""

    def __init__(self, bought: dict[str, int] | None = None) -> None:
        self.bought = bought or {}
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, activity_id: str, customer_id: str, key: str) -> int:
        self.calls.append((activity_id, customer_id, key))
        return self.bought.get(key, 0)


def shoe(sku: str, price: str = "100.00", zhe: str = "7", product: str = "shoe"
         ) -> LimitedTimeItem:
    return LimitedTimeItem(sku, product, PriceMode.DISCOUNT, zhe, money(price), 100, 100)


def limited(n: int, mode: LimitMode, history: History, *items: LimitedTimeItem,
            per: LimitPer = LimitPer.PRODUCT) -> LimitedTimeRule:
    discount = LimitedTimeDiscount("ltd", "限时折扣", WINDOW, items or (shoe("red-40"),),
                                   limit=PersonLimit(n, mode, per))
    return LimitedTimeRule(discount, history)


def line(sku: str, quantity: int, price: str = "100.00", product: str = "shoe") -> CartLine:
    return CartLine(sku, product, quantity, money(price))


def amount(out: LinePrice | LineSkip | None) -> int:
    assert isinstance(out, LinePrice), out
    return out.amount_fen


def skipped(out: LinePrice | LineSkip | None) -> str:
    assert isinstance(out, LineSkip), out
    assert out.reason is SkipReason.LIMIT_REACHED
    return out.detail


# ------------------------------------------------------------------- examples
# RULES: LTD-2
def test_mode_a_up_to_n_discounted_past_n_nothing_is() -> None:
    r = limited(3, A, History())
    assert amount(r.price_line(line("red-40", 3), ALICE, NOW)) == 3 * 7000
    detail = skipped(r.price_line(line("red-40", 4), ALICE, NOW))
    assert "0 bought before, 4 in this order" in detail
    r.check_order([line("red-40", 4)], ALICE, NOW)  # may be ordered (at full price)


# RULES: LTD-2
def test_mode_a_counts_earlier_orders() -> None:
    r = limited(3, A, History({"shoe": 2}))
    assert amount(r.price_line(line("red-40", 1), ALICE, NOW)) == 7000
    assert "2 bought before" in skipped(r.price_line(line("red-40", 2), ALICE, NOW))


# RULES: LTD-2
def test_mode_b_first_n_discounted_rest_full_price() -> None:
    r = limited(3, B, History())
    out = r.price_line(line("red-40", 5), ALICE, NOW)
    assert amount(out) == 3 * 7000 + 2 * 10000
    assert isinstance(out, LinePrice)
    assert "3 of 5 at 70.00, 2 at 100.00" in out.detail
    r.check_order([line("red-40", 5)], ALICE, NOW)  # allowed


# RULES: LTD-2
def test_mode_b_counts_earlier_orders_and_skips_once_used_up() -> None:
    assert amount(limited(3, B, History({"shoe": 2})).price_line(
        line("red-40", 4), ALICE, NOW)) == 7000 + 3 * 10000
    assert "3 bought before" in skipped(limited(3, B, History({"shoe": 3})).price_line(
        line("red-40", 1), ALICE, NOW))
    assert "9 bought before" in skipped(limited(3, B, History({"shoe": 9})).price_line(
        line("red-40", 1), ALICE, NOW))


# RULES: LTD-2
def test_mode_c_first_n_discounted_more_cannot_be_ordered() -> None:
    r = limited(3, C, History({"shoe": 1}))
    assert amount(r.price_line(line("red-40", 2), ALICE, NOW)) == 2 * 7000
    r.check_order([line("red-40", 2)], ALICE, NOW)
    skipped(r.price_line(line("red-40", 3), ALICE, NOW))
    with pytest.raises(LimitReached) as exc:
        r.check_order(Cart([line("red-40", 3)]), ALICE, NOW)
    assert exc.value.rule == "LTD-2"
    assert "product 'shoe'" in exc.value.refused and "'ltd'" in exc.value.refused
    assert exc.value.reason == ("'shoe': 3 in this order and 1 bought before exceed the "
                                "limit of 3 per person")


# RULES: LTD-2
def test_history_is_asked_per_activity_customer_and_product_or_sku() -> None:
    history = History()
    limited(3, B, history).price_line(line("red-40", 1), ALICE, NOW)
    limited(3, B, history, per=LimitPer.SKU).price_line(line("red-40", 1), ALICE, NOW)
    assert history.calls == [("ltd", "alice", "shoe"), ("ltd", "alice", "red-40")]


# RULES: LTD-2
def test_per_sku_limit_counts_each_sku_on_its_own() -> None:
    history = History({"red-40": 3, "shoe": 3})
    r = limited(3, B, history, shoe("red-40"), shoe("red-41"), per=LimitPer.SKU)
    skipped(r.price_line(line("red-40", 1), ALICE, NOW))
    assert amount(r.price_line(line("red-41", 1), ALICE, NOW)) == 7000


# RULES: LTD-2
def test_guests_cannot_take_a_limited_discount() -> None:
    history = History()
    r = limited(3, C, history)
    out = r.price_line(line("red-40", 1), Buyer(), NOW)
    assert isinstance(out, LineSkip) and out.reason is SkipReason.CUSTOMER_NOT_ELIGIBLE
    assert "guest" in out.detail
    r.check_order([line("red-40", 9)], Buyer(), NOW)  # full price, not refused
    assert history.calls == []


# RULES: LTD-2
def test_mode_c_check_ignores_what_the_discount_does_not_price() -> None:
    history = History({"shoe": 3, "hat": 99})
    r = limited(3, C, history)
    before = NOW - timedelta(days=1)
    r.check_order([line("red-40", 5)], ALICE, before)  # outside the window
    r.check_order([line("hat", 5, product="hat")], ALICE, NOW)  # not in the discount
    with pytest.raises(LimitReached):
        r.check_order([line("red-40", 1)], ALICE, NOW)
    with pytest.raises(InvalidInput):
        r.check_order([line("red-40", 1)], ALICE, before.replace(tzinfo=None))
    # modes a and b never refuse
    for mode in (A, B):
        limited(3, mode, History({"shoe": 3})).check_order([line("red-40", 9)], ALICE, NOW)


# RULES: LTD-2
@pytest.mark.parametrize("bad", [-1, True, 1.0, "2", None])
def test_a_broken_history_is_refused_not_trusted(bad: object) -> None:
    def history(activity_id: str, customer_id: str, key: str) -> int:
        return bad  # type: ignore[return-value]

    r = LimitedTimeRule(LimitedTimeDiscount("ltd", "x", WINDOW, [shoe("red-40")],
                                            limit=PersonLimit(3, B)), history)
    with pytest.raises(InvalidInput) as exc:
        r.price_line(line("red-40", 1), ALICE, NOW)
    assert exc.value.rule == "LTD-2"


# RULES: LTD-2
def test_limit_configuration_refusals() -> None:
    for n in (0, -1, True, 1.5):
        with pytest.raises(InvalidConfiguration) as exc:
            PersonLimit(n, B)  # type: ignore[arg-type]
        assert exc.value.rule == "LTD-2"
    with pytest.raises(InvalidConfiguration, match="LimitMode"):
        PersonLimit(1, "first_n")  # type: ignore[arg-type]
    with pytest.raises(InvalidConfiguration, match="LimitPer"):
        PersonLimit(1, B, "sku")  # type: ignore[arg-type]
    discount = LimitedTimeDiscount("ltd", "x", WINDOW, [shoe("red-40")],
                                   limit=PersonLimit(1, B))
    with pytest.raises(InvalidConfiguration, match="no purchase history") as exc:
        LimitedTimeRule(discount)
    assert exc.value.rule == "LTD-2"
    with pytest.raises(InvalidConfiguration, match="PersonLimit"):
        LimitedTimeDiscount("ltd", "x", WINDOW, [shoe("red-40")], limit=3)  # type: ignore[arg-type]


# ------------------------------------------------------------------- several lines
# RULES: LTD-2
def test_bound_rule_shares_a_product_limit_across_its_skus_best_saving_first() -> None:
    cart = Cart([line("red-40", 2), line("red-41", 2, "200.00")])
    r = limited(3, B, History(), shoe("red-40"), shoe("red-41", "200.00")).for_cart(cart)
    # 200.00 × 7折 saves more per unit: both of red-41, then one of red-40
    assert amount(r.price_line(cart.lines[1], ALICE, NOW)) == 2 * 14000
    assert amount(r.price_line(cart.lines[0], ALICE, NOW)) == 7000 + 10000
    # mode (c): 4 units of the product exceed 3, whichever lines they are on
    rc = limited(3, C, History(), shoe("red-40"), shoe("red-41", "200.00")).for_cart(cart)
    skipped(rc.price_line(cart.lines[0], ALICE, NOW))
    with pytest.raises(LimitReached):
        rc.check_order(cart, ALICE, NOW)


# RULES: LTD-2
def test_unbound_rule_judges_each_line_alone() -> None:
    cart = Cart([line("red-40", 2), line("red-41", 2)])
    r = limited(3, B, History(), shoe("red-40"), shoe("red-41"))
    assert [amount(r.price_line(ln, ALICE, NOW)) for ln in cart.lines] == [14000, 14000]
    assert [amount(r.for_cart(cart).price_line(ln, ALICE, NOW)) for ln in cart.lines] \
        == [14000, 7000 + 10000]  # equal savings: line id order


# RULES: LTD-2
def test_bound_rule_refuses_a_line_of_another_cart() -> None:
    r = limited(3, B, History()).for_cart([line("red-40", 2)])
    with pytest.raises(InvalidInput, match="not in the cart"):
        r.price_line(line("red-40", 3), ALICE, NOW)


# ------------------------------------------------------------------- model
def model(mode: LimitMode, n: int, before: int, lines: Sequence[tuple[str, int, int]]
          ) -> tuple[dict[str, int], bool]:
    """Brute force, one unit at a time: (discounted units per line, order refused).

    ``lines`` are (line id, quantity, saving per unit).  Units are bought in order
    of saving (largest first), then line id; the k-th unit the person ever buys is
    number ``before + k``.
    """
    units = [lid for lid, q, saving in sorted(lines, key=lambda x: (-x[2], x[0]))
             for _ in range(q)]
    numbers: dict[str, list[int]] = {lid: [] for lid, _, _ in lines}
    for k, lid in enumerate(units, start=1):
        numbers[lid].append(before + k)
    last = before + len(units)
    out = {}
    for lid, nums in numbers.items():
        if mode is LimitMode.FIRST_N:
            out[lid] = sum(1 for num in nums if num <= n)
        else:
            out[lid] = len(nums) if last <= n else 0
    return out, mode is LimitMode.FIRST_N_ONLY and last > n


LINE = st.tuples(st.integers(min_value=1, max_value=6), st.integers(min_value=100, max_value=900))


@settings(max_examples=400, deadline=None)
@given(mode=st.sampled_from(LimitMode), n=st.integers(min_value=1, max_value=8),
       before=st.integers(min_value=0, max_value=12),
       specs=st.lists(LINE, min_size=1, max_size=3), bound=st.booleans(),
       other=st.integers(min_value=0, max_value=4))
# RULES: LTD-2
def test_limit_modes_match_a_brute_force_model(
    mode: LimitMode, n: int, before: int, specs: list[tuple[int, int]], bound: bool,
    other: int,
) -> None:
    if not bound:
        specs = specs[:1]  # an unbound rule is exact for one line per product
    skus = [f"s{i}" for i in range(len(specs))]
    items = [LimitedTimeItem(sku, "shoe", PriceMode.DISCOUNT, "5", from_fen(price), 100, 100)
             for sku, (_, price) in zip(skus, specs, strict=True)]
    items.append(LimitedTimeItem("hat", "hat", PriceMode.DISCOUNT, "5", money("10"), 9, 9))
    lines = [CartLine(sku, "shoe", q, from_fen(price))
             for sku, (q, price) in zip(skus, specs, strict=True)]
    if other:  # another product's line never touches this product's limit
        lines.append(CartLine("hat", "hat", other, money("10")))
    history = History({"shoe": before})
    rule = limited(n, mode, history, *items)
    if bound:
        rule = rule.for_cart(lines)
    expected, refused = model(mode, n, before, [
        (sku, q, price - (price + 1) // 2)  # 5折 rounds half-up: saving = floor(p / 2)
        for sku, (q, price) in zip(skus, specs, strict=True)])
    for ln in lines[: len(specs)]:
        got = rule.price_line(ln, ALICE, NOW)
        d = expected[ln.sku_id]
        if d == 0:
            skipped(got)
        else:
            half = (ln.unit_fen + 1) // 2
            assert amount(got) == d * half + (ln.quantity - d) * ln.unit_fen
    hat_refused = mode is LimitMode.FIRST_N_ONLY and other > n  # the hat's own limit
    if refused or hat_refused:
        with pytest.raises(LimitReached) as exc:
            rule.check_order(lines, ALICE, NOW)
        assert ("'shoe'" in exc.value.refused) is refused
        assert ("'hat'" in exc.value.refused) is hat_refused
    else:
        rule.check_order(lines, ALICE, NOW)
    assert {key for _, _, key in history.calls} <= {"shoe", "hat"}
