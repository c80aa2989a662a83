"""Using coupons (CPN-4), giving them back (CPN-5), validity (CPN-8), the wallet (CPN-1)."""

from __future__ import annotations

import threading

import pytest
from coupons_helpers import DAY, T0, TERMS, WINDOW, normal, reusable

from mallcore.coupons.batches import (
    AbsoluteValidity,
    CodeStatus,
    CouponBatch,
    CouponRedeemed,
    CouponRestored,
    CouponTerms,
    Redemption,
    RelativeValidity,
    wallet_of,
)
from mallcore.coupons.benefits import PercentOff
from mallcore.errors import (
    InvalidInput,
    InvalidTransition,
    LimitReached,
    MallcoreError,
    NotAllowed,
    NotFound,
)
from mallcore.money import Rate, money
from mallcore.pricing import Cart, CartLine, PricingPipeline, Stage


def held(batch: CouponBatch, customer: str = "alice", n: int = 1) -> tuple[str, ...]:
    return batch.distribute([customer], n, now=T0)[customer]


# RULES: CPN-4
def test_a_normal_code_is_used_once_and_becomes_used() -> None:
    batch = normal()
    (code,) = held(batch)
    used = batch.redeem(code, customer_id="alice", order_number="o1", now=T0 + DAY)
    assert used == Redemption("b1", code, "alice", "o1", T0 + DAY)
    view = batch.code(code)
    assert (view.status, view.order_number, view.used_at) == (CodeStatus.USED, "o1", T0 + DAY)
    assert batch.events[-1] == CouponRedeemed("b1", T0 + DAY, code, "alice", "o1")
    assert batch.uses() == (used,)
    f = batch.figures()
    assert (f.claimed, f.used) == (1, 1)


# RULES: CPN-4
@pytest.mark.parametrize("order", ["o1", "o2"])
def test_a_code_can_never_be_used_twice(order: str) -> None:
    batch = normal()
    (code,) = held(batch)
    batch.redeem(code, customer_id="alice", order_number="o1", now=T0)
    version = batch.version
    with pytest.raises(NotAllowed, match="already used by order 'o1'") as err:
        batch.redeem(code, customer_id="alice", order_number=order, now=T0)
    assert err.value.rule == "CPN-4"
    assert batch.version == version
    assert batch.code(code).order_number == "o1"


# RULES: CPN-4
def test_two_orders_racing_for_one_code_cannot_both_win() -> None:
    for _ in range(20):
        batch = normal()
        (code,) = held(batch)
        start = threading.Barrier(8)
        wins: list[str] = []
        losses: list[MallcoreError] = []

        def use(order: str, batch: CouponBatch = batch, code: str = code,
                start: threading.Barrier = start, wins: list[str] = wins,
                losses: list[MallcoreError] = losses) -> None:
            start.wait()
            try:
                batch.redeem(code, customer_id="alice", order_number=order, now=T0)
                wins.append(order)
            except NotAllowed as exc:
                losses.append(exc)

        threads = [threading.Thread(target=use, args=(f"o{i}",)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(wins) == 1 and len(losses) == 7
        assert batch.code(code).order_number == wins[0]
        assert batch.figures().used == 1


# RULES: CPN-4
def test_a_code_is_used_only_by_its_holder() -> None:
    batch = normal(3, limit=None)
    (code,) = held(batch)
    with pytest.raises(NotAllowed, match="not held by customer 'bob'") as err:
        batch.redeem(code, customer_id="bob", order_number="o1", now=T0)
    assert err.value.rule == "CPN-4"
    unclaimed = batch.codes()[-1].code
    with pytest.raises(NotAllowed, match="nobody has claimed it"):
        batch.redeem(unclaimed, customer_id="bob", order_number="o1", now=T0)
    with pytest.raises(NotFound, match="not a code of coupon batch 'b1'"):
        batch.redeem("SHOPNOPE99", customer_id="alice", order_number="o1", now=T0)
    assert batch.figures().used == 0


# RULES: CPN-4
@pytest.mark.parametrize("kwargs", [
    {"customer_id": ""}, {"order_number": " o1"}, {"now": T0.replace(tzinfo=None)},
])
def test_malformed_redemptions_are_refused(kwargs: dict[str, object]) -> None:
    batch = normal()
    (code,) = held(batch)
    args: dict[str, object] = {"customer_id": "alice", "order_number": "o1", "now": T0,
                               **kwargs}
    with pytest.raises(InvalidInput):
        batch.redeem(code, **args)  # type: ignore[arg-type]
    assert batch.code(code).status is CodeStatus.HELD


# RULES: CPN-4
def test_a_typed_code_is_case_insensitive() -> None:
    batch = normal()
    (code,) = held(batch)
    batch.redeem(f" {code.lower()} ", customer_id="alice", order_number="o1", now=T0)
    assert batch.code(code).status is CodeStatus.USED


# RULES: CPN-4
def test_a_reusable_code_consumes_one_use_per_order_until_none_are_left() -> None:
    batch = reusable(uses=3)
    for i, who in enumerate(["alice", "bob", "alice"]):
        batch.redeem("summer24", customer_id=who, order_number=f"o{i}", now=T0)
        f = batch.figures()
        assert (f.used, f.claimed, f.unclaimed) == (i + 1, i + 1, 2 - i)
    assert batch.code("SUMMER24").status is CodeStatus.USED
    with pytest.raises(LimitReached, match="all 3 uses are consumed") as err:
        batch.redeem("SUMMER24", customer_id="carol", order_number="o9", now=T0)
    assert err.value.rule == "CPN-4"
    assert [(u.customer_id, u.order_number) for u in batch.uses()] == [
        ("alice", "o0"), ("bob", "o1"), ("alice", "o2")]


# RULES: CPN-4
def test_one_order_cannot_take_two_uses_of_a_reusable_code() -> None:
    batch = reusable(uses=3)
    batch.redeem("SUMMER24", customer_id="alice", order_number="o1", now=T0)
    with pytest.raises(NotAllowed, match="order 'o1' already used it"):
        batch.redeem("SUMMER24", customer_id="alice", order_number="o1", now=T0)
    assert batch.figures().used == 1


# RULES: CPN-4
def test_a_reusable_code_may_limit_uses_per_customer() -> None:
    batch = reusable(uses=10, limit=1)
    batch.redeem("SUMMER24", customer_id="alice", order_number="o1", now=T0)
    with pytest.raises(LimitReached, match="limit per customer"):
        batch.redeem("SUMMER24", customer_id="alice", order_number="o2", now=T0)
    batch.redeem("SUMMER24", customer_id="bob", order_number="o3", now=T0)


# RULES: CPN-4
def test_two_orders_racing_for_the_last_use_cannot_both_win() -> None:
    batch = reusable(uses=5)
    start = threading.Barrier(10)
    wins: list[str] = []

    def use(order: str) -> None:
        start.wait()
        try:
            batch.redeem("SUMMER24", customer_id=order, order_number=order, now=T0)
            wins.append(order)
        except LimitReached:
            pass

    threads = [threading.Thread(target=use, args=(f"o{i}",)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 5 == batch.figures().used


# RULES: CPN-8
def test_an_absolute_window_bounds_use_whenever_the_code_was_claimed() -> None:
    batch = normal(limit=None)
    (code,) = batch.distribute(["alice"], 1, now=T0 - 10 * DAY)["alice"]
    with pytest.raises(NotAllowed, match="not valid before") as err:
        batch.redeem(code, customer_id="alice", order_number="o1", now=T0 - DAY)
    assert err.value.rule == "CPN-8"
    assert batch.wallet("alice", T0 - DAY) == ()
    end = T0 + 30 * DAY
    with pytest.raises(NotAllowed, match="expired at"):
        batch.redeem(code, customer_id="alice", order_number="o1", now=end)
    batch.redeem(code, customer_id="alice", order_number="o1", now=end - DAY)


# RULES: CPN-8
def test_a_relative_validity_runs_n_days_from_each_claim() -> None:
    batch = normal(3, validity=RelativeValidity(7), limit=None)
    early = batch.claim("alice", now=T0)
    late = batch.claim("alice", now=T0 + 5 * DAY)
    assert (early.valid_from, early.expires_at) == (T0, T0 + 7 * DAY)
    assert (late.valid_from, late.expires_at) == (T0 + 5 * DAY, T0 + 12 * DAY)
    at = T0 + 8 * DAY
    assert [e.code for e in batch.wallet("alice", at)] == [late.code]
    with pytest.raises(NotAllowed, match="expired"):
        batch.redeem(early.code, customer_id="alice", order_number="o1", now=at)
    batch.redeem(late.code, customer_id="alice", order_number="o1", now=at)
    # a relative batch can still be claimed long after: each claim starts its own clock
    fresh = batch.claim("bob", now=T0 + 400 * DAY)
    assert fresh.expires_at == T0 + 407 * DAY


# RULES: CPN-8
def test_a_relative_validity_boundary_is_exactly_n_times_24_hours() -> None:
    batch = normal(1, validity=RelativeValidity(1))
    code = batch.claim("alice", now=T0 + DAY / 2).code
    end = T0 + DAY + DAY / 2
    assert [e.code for e in batch.wallet("alice", end - DAY / 86400)] == [code]
    assert batch.wallet("alice", end) == ()
    with pytest.raises(NotAllowed, match="expired"):
        batch.redeem(code, customer_id="alice", order_number="o1", now=end)


# RULES: CPN-8
def test_a_reusable_code_is_bounded_by_its_window() -> None:
    batch = reusable(validity=AbsoluteValidity(T0 + DAY, T0 + 2 * DAY))
    with pytest.raises(NotAllowed, match="not valid before"):
        batch.redeem("SUMMER24", customer_id="a", order_number="o", now=T0)
    with pytest.raises(NotAllowed, match="expired"):
        batch.redeem("SUMMER24", customer_id="a", order_number="o", now=T0 + 2 * DAY)
    batch.redeem("SUMMER24", customer_id="a", order_number="o", now=T0 + DAY)


# RULES: CPN-5
def test_restore_gives_a_used_code_back_to_its_holder() -> None:
    batch = normal()
    (code,) = held(batch)
    batch.redeem(code, customer_id="alice", order_number="o1", now=T0)
    back = batch.restore(code, "o1", now=T0 + DAY)
    assert back == Redemption("b1", code, "alice", "o1", T0)
    assert batch.code(code).status is CodeStatus.HELD
    assert batch.events[-1] == CouponRestored("b1", T0 + DAY, code, "alice", "o1")
    assert batch.figures().used == 0
    batch.redeem(code, customer_id="alice", order_number="o2", now=T0 + DAY)


# RULES: CPN-5
def test_restore_refuses_an_order_that_did_not_use_the_code() -> None:
    batch = normal()
    (code,) = held(batch)
    with pytest.raises(NotAllowed, match="did not use it") as err:
        batch.restore(code, "o1", now=T0)
    assert err.value.rule == "CPN-5"
    batch.redeem(code, customer_id="alice", order_number="o1", now=T0)
    with pytest.raises(NotAllowed, match="'o2' did not use it"):
        batch.restore(code, "o2", now=T0)
    batch.restore(code, "o1", now=T0)
    with pytest.raises(NotAllowed):  # restoring twice gives back nothing more
        batch.restore(code, "o1", now=T0)


# RULES: CPN-5
def test_restore_gives_a_reusable_use_back() -> None:
    batch = reusable(uses=1)
    batch.redeem("SUMMER24", customer_id="a", order_number="o1", now=T0)
    batch.restore("SUMMER24", "o1", now=T0)
    assert batch.uses() == ()
    batch.redeem("SUMMER24", customer_id="b", order_number="o2", now=T0)


# RULES: CPN-5
def test_a_restored_code_keeps_its_own_expiry_and_nothing_returns_from_a_deleted_batch(
) -> None:
    batch = normal(2, limit=None)
    a, b = held(batch, n=2)
    batch.redeem(a, customer_id="alice", order_number="o1", now=T0)
    batch.redeem(b, customer_id="alice", order_number="o2", now=T0)
    batch.restore(a, "o1", now=T0 + 40 * DAY)
    with pytest.raises(NotAllowed, match="expired"):
        batch.redeem(a, customer_id="alice", order_number="o3", now=T0 + 40 * DAY)
    batch.delete(T0 + 41 * DAY)
    with pytest.raises(InvalidTransition, match="deleted"):
        batch.restore(b, "o2", now=T0 + 41 * DAY)


# RULES: CPN-1
def test_the_wallet_lists_usable_codes_with_offers_soonest_expiry_first() -> None:
    batch = normal(4, validity=RelativeValidity(10), limit=None)
    first = batch.claim("alice", now=T0 + DAY).code
    second = batch.claim("alice", now=T0).code
    used = batch.claim("alice", now=T0).code
    batch.redeem(used, customer_id="alice", order_number="o1", now=T0)
    batch.claim("bob", now=T0)
    wallet = batch.wallet("alice", T0 + 2 * DAY)
    assert [(e.code, e.expires_at) for e in wallet] == [
        (second, T0 + 10 * DAY), (first, T0 + 11 * DAY)]
    assert wallet[0].offer == batch.offer(second)
    assert wallet[0].offer.id == second
    assert batch.wallet("nobody", T0) == ()
    assert reusable().wallet("alice", T0) == ()


# RULES: CPN-1
def test_a_wallet_offer_prices_at_stage_2() -> None:
    batch = CouponBatch.normal("b", "8折", CouponTerms(PercentOff(Rate.zhe(8)), money("50")),
                               WINDOW, codes=["EIGHT001"])
    batch.publish(T0)
    batch.claim("alice", now=T0)
    (entry,) = batch.wallet("alice", T0)
    cart = Cart((CartLine("sku", "p", 1, money("100.00")),))
    priced = PricingPipeline([]).price(cart, now=T0, coupon=entry.offer)
    assert priced.total_fen(Stage.ACTIVITIES) - priced.total_fen(Stage.COUPONS) == 2000


# RULES: CPN-1
def test_wallet_of_merges_batches_by_expiry() -> None:
    long = normal(2, batch_id="long")
    short = CouponBatch.normal("short", "x", TERMS, AbsoluteValidity(T0, T0 + DAY),
                               codes=["SHORT001"])
    short.publish(T0)
    long.claim("alice", now=T0)
    short.claim("alice", now=T0)
    assert [e.batch_id for e in wallet_of([long, short], "alice", T0)] == ["short", "long"]


# RULES: CPN-4
def test_ensure_usable_checks_without_using() -> None:
    batch = normal()
    (code,) = held(batch)
    assert batch.ensure_usable(code, customer_id="alice", now=T0) == batch.offer(code)
    with pytest.raises(NotAllowed, match="not held"):
        batch.ensure_usable(code, customer_id="bob", now=T0)
    assert batch.version == 2  # publish + distribute: checking changed nothing
    batch.redeem(code, customer_id="alice", order_number="o1", now=T0)
    with pytest.raises(NotAllowed, match="already used"):
        batch.ensure_usable(code, customer_id="alice", now=T0)
