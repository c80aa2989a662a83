"""Handing coupons out: distribute (all or nothing), claim limits, blacklist (CPN-2, CPN-3)."""

from __future__ import annotations

import pytest
from coupons_helpers import DAY, T0, normal, reusable

from mallcore.coupons.batches import CodeStatus, CouponClaimed, CouponsDistributed
from mallcore.customers import Customer, CustomerBook
from mallcore.errors import InvalidInput, InvalidTransition, LimitReached, NotAllowed, NotFound


# RULES: CPN-3
def test_distribute_gives_n_codes_to_each_chosen_customer() -> None:
    batch = normal(10)
    grants = batch.distribute(["alice", "bob"], 3, now=T0)
    assert list(grants) == ["alice", "bob"]
    assert all(len(codes) == 3 for codes in grants.values())
    given = [c for codes in grants.values() for c in codes]
    assert len(set(given)) == 6
    assert [c.code for c in batch.codes_of("alice")] == list(grants["alice"])
    assert all(c.status is CodeStatus.HELD and c.owner == "alice" and c.claimed_at == T0
               for c in batch.codes_of("alice"))
    f = batch.figures()
    assert (f.claimed, f.unclaimed, f.voided) == (6, 4, 0)
    assert batch.events[-1] == CouponsDistributed(
        "b1", T0, (("alice", grants["alice"]), ("bob", grants["bob"])))


# RULES: CPN-3
def test_distributing_is_repeatable_until_the_batch_runs_out() -> None:
    batch = normal(5)
    batch.distribute(["alice"], 2, now=T0)
    batch.distribute(["alice", "bob"], 1, now=T0 + DAY)
    batch.distribute(["carol"], 1, now=T0 + DAY)
    assert batch.remaining == 0
    assert len(batch.codes_of("alice")) == 3
    with pytest.raises(LimitReached, match="not enough coupons to distribute"):
        batch.distribute(["dave"], 1, now=T0 + DAY)


# RULES: CPN-3
def test_asking_for_more_than_remain_distributes_nothing() -> None:
    batch = normal(5)
    batch.distribute(["alice"], 1, now=T0)
    before = (batch.figures(), batch.version, len(batch.events), batch.codes())
    with pytest.raises(LimitReached) as err:
        batch.distribute(["bob", "carol"], 3, now=T0)  # 6 asked, 4 remain
    assert err.value.rule == "CPN-3"
    assert "not enough coupons to distribute: 4 remain" in str(err.value)
    assert "distributing 6 coupons of batch 'b1'" in str(err.value)
    assert (batch.figures(), batch.version, len(batch.events), batch.codes()) == before
    assert batch.codes_of("bob") == ()
    batch.distribute(["bob", "carol"], 2, now=T0)  # exactly what remains is fine
    assert batch.remaining == 0


# RULES: CPN-3
def test_a_customer_chosen_twice_is_chosen_once() -> None:
    batch = normal(4)
    grants = batch.distribute(["alice", "bob", "alice"], 2, now=T0)
    assert list(grants) == ["alice", "bob"]
    assert batch.remaining == 0


# RULES: CPN-3
@pytest.mark.parametrize(("ids", "n"), [([], 1), (["a"], 0), (["a"], -2), (["a"], 1.0),
                                         ([""], 1), (["a "], 1), ("alice", 1)])
def test_malformed_distributions_are_refused(ids: object, n: object) -> None:
    batch = normal(4)
    with pytest.raises(InvalidInput):
        batch.distribute(ids, n, now=T0)  # type: ignore[arg-type]
    assert batch.remaining == 4


# RULES: CPN-3
def test_distributing_needs_an_aware_time() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        normal().distribute(["a"], 1, now=T0.replace(tzinfo=None))


# RULES: CPN-2
def test_a_reusable_batch_cannot_be_distributed_or_claimed() -> None:
    batch = reusable()
    with pytest.raises(NotAllowed, match="never distributed or claimed") as err:
        batch.distribute(["alice"], 1, now=T0)
    assert err.value.rule == "CPN-2"
    with pytest.raises(NotAllowed, match="never distributed or claimed"):
        batch.claim("alice", now=T0)
    assert batch.figures().unclaimed == 3


# RULES: CPN-3
def test_claiming_respects_the_per_customer_limit() -> None:
    batch = normal(5, limit=2)
    first = batch.claim("alice", now=T0)
    assert (first.owner, first.status, first.claimed_at) == ("alice", CodeStatus.HELD, T0)
    assert batch.events[-1] == CouponClaimed("b1", T0, "alice", first.code)
    batch.claim("alice", now=T0)
    version = batch.version
    with pytest.raises(LimitReached, match="limit is 2 per customer") as err:
        batch.claim("alice", now=T0)
    assert err.value.rule == "CPN-3"
    assert batch.version == version
    batch.claim("bob", now=T0)  # the limit is per customer
    assert batch.remaining == 2


# RULES: CPN-3
def test_distributed_codes_count_towards_the_claim_limit_but_distribution_is_not_limited(
) -> None:
    batch = normal(5, limit=1)
    batch.distribute(["alice"], 2, now=T0)  # the merchant's choice, above the claim limit
    with pytest.raises(LimitReached, match="limit is 1"):
        batch.claim("alice", now=T0)


# RULES: CPN-3
def test_without_a_limit_a_customer_claims_until_the_batch_runs_out() -> None:
    batch = normal(3, limit=None)
    for _ in range(3):
        batch.claim("alice", now=T0)
    with pytest.raises(LimitReached, match="every coupon has been handed out"):
        batch.claim("alice", now=T0)
    assert len(batch.codes_of("alice")) == 3


# RULES: CPN-3
def test_codes_are_handed_out_in_creation_order() -> None:
    batch = normal(3, limit=None)
    order = [c.code for c in batch.codes()]
    assert [batch.claim("a", now=T0).code for _ in range(3)] == order


# RULES: CPN-8
def test_nothing_is_handed_out_once_an_absolute_window_is_over() -> None:
    batch = normal(3)
    end = T0 + 30 * DAY
    with pytest.raises(NotAllowed, match="expired") as err:
        batch.claim("alice", now=end)
    assert err.value.rule == "CPN-8"
    with pytest.raises(NotAllowed, match="expired"):
        batch.distribute(["alice"], 1, now=end)
    # before the window opens, claiming is fine (the code is usable from the start)
    early = batch.claim("alice", now=T0 - 5 * DAY)
    assert (early.valid_from, early.expires_at) == (T0, end)


# RULES: CUS-1
def test_blacklisted_customers_cannot_receive_coupons_from_the_book() -> None:
    book = CustomerBook()
    for cid in ("alice", "bob"):
        book.add(Customer(cid, cid))
    book.blacklist("bob")
    batch = normal(5, limit=None)
    with pytest.raises(NotAllowed, match="blacklisted") as err:
        batch.distribute(["alice", "bob"], 1, now=T0, blocked=book)
    assert err.value.rule == "CUS-1"
    assert batch.remaining == 5  # nobody got anything, alice neither
    with pytest.raises(NotAllowed, match="blacklisted"):
        batch.claim("bob", now=T0, blocked=book)
    with pytest.raises(NotFound):
        batch.claim("stranger", now=T0, blocked=book)
    batch.claim("alice", now=T0, blocked=book)
    book.lift_blacklist("bob")
    batch.distribute(["bob"], 1, now=T0, blocked=book)
    assert batch.remaining == 3


# RULES: CUS-1
def test_blacklisted_customers_cannot_receive_coupons_by_predicate() -> None:
    batch = normal(5, limit=None)
    with pytest.raises(NotAllowed, match="'eve'"):
        batch.distribute(["alice", "eve"], 1, now=T0, blocked=lambda c: c == "eve")
    batch.distribute(["alice"], 1, now=T0, blocked=lambda c: c == "eve")
    assert batch.remaining == 4


# RULES: CPN-3
def test_deleted_batches_hand_out_nothing() -> None:
    batch = normal(3)
    batch.delete(T0)
    with pytest.raises(InvalidTransition, match="deleted"):
        batch.claim("alice", now=T0)
    with pytest.raises(InvalidTransition, match="deleted"):
        batch.distribute(["alice"], 1, now=T0)
