"""Batch families and lifecycle (CPN-2, CPN-3): draft → published → voided / deleted."""

from __future__ import annotations

import copy

import pytest
from coupons_helpers import DAY, T0, TERMS, WINDOW, generator, normal, reusable

from mallcore.coupons.batches import (
    AbsoluteValidity,
    BatchDeleted,
    BatchEdited,
    BatchFamily,
    BatchFigures,
    BatchPublished,
    BatchStatus,
    BatchVoided,
    CodeStatus,
    CouponBatch,
    CouponTerms,
    RelativeValidity,
)
from mallcore.coupons.benefits import FixedAmount, PercentOff
from mallcore.errors import (
    InvalidConfiguration,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotFound,
)
from mallcore.money import Rate, money


def figures(batch: CouponBatch) -> tuple[int, int, int, int, int]:
    f = batch.figures()
    assert f.claimed + f.unclaimed + f.voided == f.issued == f.quantity == batch.quantity
    return f.issued, f.claimed, f.unclaimed, f.used, f.voided


# RULES: CPN-2
def test_a_normal_batch_has_one_code_per_coupon() -> None:
    batch = normal(4, published=False)
    assert batch.family is BatchFamily.NORMAL
    assert batch.status is BatchStatus.DRAFT
    assert batch.quantity == 4 == len({c.code for c in batch.codes()})
    assert all(c.code.startswith("SHOP") and c.status is CodeStatus.UNCLAIMED
               for c in batch.codes())
    assert figures(batch) == (4, 0, 4, 0, 0)


# RULES: CPN-2
def test_a_normal_batch_from_imported_codes() -> None:
    batch = CouponBatch.normal("b", "imported", TERMS, WINDOW, codes=["gold0001", "GOLD0002"])
    assert [c.code for c in batch.codes()] == ["GOLD0001", "GOLD0002"]
    with pytest.raises(InvalidInput, match="duplicates"):
        CouponBatch.normal("b", "x", TERMS, WINDOW, codes=["GOLD0001", "gold0001"])
    with pytest.raises(InvalidConfiguration, match="at least one code"):
        CouponBatch.normal("b", "x", TERMS, WINDOW, codes=[])
    with pytest.raises(InvalidInput, match="one text"):
        CouponBatch("b", "x", BatchFamily.NORMAL, TERMS, WINDOW, codes="GOLD0001")


# RULES: CPN-2
def test_generation_avoids_codes_taken_by_other_batches() -> None:
    first = normal(3)
    taken = {c.code for c in first.codes()}
    second = CouponBatch.generated("b2", "again", TERMS, WINDOW, quantity=3,
                                   generator=generator(), taken=taken)  # same seed
    assert not taken & {c.code for c in second.codes()}


# RULES: CPN-2
def test_a_reusable_batch_is_one_code_whose_quantity_is_uses() -> None:
    batch = reusable(uses=100, published=False)
    assert batch.family is BatchFamily.REUSABLE
    assert batch.quantity == 100
    assert [c.code for c in batch.codes()] == ["SUMMER24"]
    assert figures(batch) == (100, 0, 100, 0, 0)


# RULES: CPN-2
@pytest.mark.parametrize("uses", [0, -1, 1.5, True])
def test_a_reusable_batch_needs_a_positive_number_of_uses(uses: object) -> None:
    with pytest.raises(InvalidConfiguration):
        CouponBatch.reusable("r", "x", TERMS, WINDOW, code="SUMMER24", uses=uses)  # type: ignore[arg-type]


# RULES: CPN-2, CPN-8
def test_a_reusable_code_needs_an_absolute_window() -> None:
    with pytest.raises(InvalidConfiguration, match="absolute window"):
        CouponBatch("r", "x", BatchFamily.REUSABLE, TERMS, RelativeValidity(7),
                    codes=["SUMMER24"], uses=5)
    with pytest.raises(InvalidConfiguration, match="exactly one code"):
        CouponBatch("r", "x", BatchFamily.REUSABLE, TERMS, WINDOW, codes=["AAAA", "BBBB"],
                    uses=5)


# RULES: CPN-2
def test_only_normal_batches_have_a_claim_link_and_may_be_gifted() -> None:
    assert normal().claim_link("https://shop.example/") == (
        "https://shop.example/coupons/b1/claim")
    normal().ensure_giftable()
    with pytest.raises(NotAllowed, match="reusable"):
        reusable().claim_link("https://shop.example")
    with pytest.raises(NotAllowed, match="gift-coupon activities") as err:
        reusable().ensure_giftable()
    assert err.value.rule == "CPN-2"


# RULES: CPN-1
def test_terms_are_checked_like_the_pricing_pipeline_checks_offers() -> None:
    with pytest.raises(InvalidConfiguration, match="more than 0"):
        CouponTerms(FixedAmount(money("0")))
    with pytest.raises(InvalidConfiguration, match="not a coupon benefit"):
        CouponTerms("5 off")  # type: ignore[arg-type]
    with pytest.raises(InvalidConfiguration, match="ProductScope"):
        CouponTerms(FixedAmount(money("1")), scope="all")  # type: ignore[arg-type]


# RULES: CPN-1
def test_a_code_gives_a_coupon_offer_for_the_pipeline() -> None:
    batch = normal()
    code = batch.codes()[0].code
    offer = batch.offer(code.lower())
    assert (offer.id, offer.name, offer.benefit, offer.threshold) == (
        code, "满50减5", FixedAmount(money("5.00")), money("50.00"))
    assert offer.describe() == "spend 50.00: 5.00 off"
    with pytest.raises(NotFound):
        batch.offer("NOPE1234")


# RULES: CPN-3
def test_a_draft_can_be_edited_and_publishing_freezes_it() -> None:
    batch = normal(published=False)
    new_terms = CouponTerms(PercentOff(Rate.zhe(8)), money("100"))
    batch.edit(now=T0, name="8折", terms=new_terms, per_customer_limit=None,
               validity=RelativeValidity(7))
    assert (batch.name, batch.terms, batch.per_customer_limit, batch.validity) == (
        "8折", new_terms, None, RelativeValidity(7))
    assert batch.events == [BatchEdited("b1", T0, ("name", "terms", "validity",
                                                   "per_customer_limit"))]
    batch.publish(T0)
    assert batch.status is BatchStatus.PUBLISHED
    with pytest.raises(InvalidTransition) as err:
        batch.edit(now=T0, name="again")
    assert (err.value.status, err.value.rule) == ("published", "CPN-3")
    assert "coupon batch 'b1'" in str(err.value)
    assert batch.name == "8折"


# RULES: CPN-3
def test_no_edits_once_voided_or_deleted_either() -> None:
    for end in ("void", "delete"):
        batch = normal()
        getattr(batch, end)(T0)
        with pytest.raises(InvalidTransition):
            batch.edit(now=T0, per_customer_limit=3)
        assert batch.per_customer_limit == 1


# RULES: CPN-3
def test_an_edit_must_change_something_valid() -> None:
    batch = normal(published=False)
    with pytest.raises(InvalidInput, match="nothing to change"):
        batch.edit(now=T0)
    with pytest.raises(InvalidConfiguration):
        batch.edit(now=T0, per_customer_limit=0)
    with pytest.raises(InvalidConfiguration):
        reusable(published=False).edit(now=T0, validity=RelativeValidity(3))
    assert batch.version == 0


# RULES: CPN-3
@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], "publish"),  # published twice
        (["void"], "publish"),  # voided cannot be published again
        (["void"], "void"),
        (["delete"], "publish"),
        (["delete"], "void"),
        (["delete"], "delete"),
    ],
)
def test_transitions_outside_the_lifecycle_are_refused(path: list[str], refused: str) -> None:
    batch = normal()
    for step in path:
        getattr(batch, step)(T0)
    version, status = batch.version, batch.status
    with pytest.raises(InvalidTransition) as err:
        getattr(batch, refused)(T0)
    assert err.value.status == status.value
    assert err.value.rule == "CPN-3"
    assert (batch.version, batch.status) == (version, status)


# RULES: CPN-3
def test_a_draft_cannot_be_voided_but_can_be_deleted() -> None:
    batch = normal(published=False)
    with pytest.raises(InvalidTransition, match=r"voiding coupon batch 'b1'.*draft"):
        batch.void(T0)
    assert batch.delete(T0) == 5
    assert batch.status is BatchStatus.DELETED
    assert figures(batch) == (5, 0, 0, 0, 5)


# RULES: CPN-3, CPN-8
def test_a_batch_whose_window_is_over_cannot_be_published() -> None:
    batch = normal(published=False)
    with pytest.raises(NotAllowed, match="validity ended") as err:
        batch.publish(T0 + 30 * DAY)
    assert err.value.rule == "CPN-8"
    assert batch.status is BatchStatus.DRAFT
    batch.publish(T0 + 30 * DAY - DAY)


# RULES: CPN-3
def test_voiding_a_normal_batch_kills_unclaimed_codes_and_keeps_claimed_ones() -> None:
    batch = normal(5, limit=None)
    held = batch.distribute(["alice"], 2, now=T0)["alice"]
    batch.redeem(held[0], customer_id="alice", order_number="o1", now=T0)
    assert figures(batch) == (5, 2, 3, 1, 0)
    assert batch.void(T0 + DAY) == 3
    assert figures(batch) == (5, 2, 0, 1, 3)
    statuses = {c.code: c.status for c in batch.codes()}
    assert statuses[held[0]] is CodeStatus.USED
    assert statuses[held[1]] is CodeStatus.HELD
    assert sorted(s for c, s in statuses.items() if c not in held) == [CodeStatus.VOID] * 3
    # the claimed code stays usable until its own expiry
    assert [e.code for e in batch.wallet("alice", T0 + 2 * DAY)] == [held[1]]
    batch.redeem(held[1], customer_id="alice", order_number="o2", now=T0 + 2 * DAY)
    assert figures(batch) == (5, 2, 0, 2, 3)
    assert batch.events[-2] == BatchVoided("b1", T0 + DAY, 3)


# RULES: CPN-3
def test_an_unclaimed_code_of_a_voided_batch_cannot_be_claimed_or_used() -> None:
    batch = normal(3, limit=None)
    batch.void(T0)
    with pytest.raises(InvalidTransition, match="voided"):
        batch.claim("alice", now=T0)
    with pytest.raises(InvalidTransition, match="voided"):
        batch.distribute(["alice"], 1, now=T0)
    code = batch.codes()[0].code
    with pytest.raises(InvalidTransition, match="voided"):
        batch.redeem(code, customer_id="alice", order_number="o1", now=T0)


# RULES: CPN-3
def test_voiding_a_reusable_batch_kills_the_code_at_once() -> None:
    batch = reusable(uses=5)
    batch.redeem("SUMMER24", customer_id="a", order_number="o1", now=T0)
    assert batch.void(T0) == 4
    assert figures(batch) == (5, 1, 0, 1, 4)
    assert batch.code("summer24").status is CodeStatus.VOID
    with pytest.raises(InvalidTransition, match="voided") as err:
        batch.redeem("SUMMER24", customer_id="b", order_number="o2", now=T0)
    assert err.value.rule == "CPN-3"


# RULES: CPN-3
@pytest.mark.parametrize("voided_first", [False, True])
def test_deleting_kills_every_code_claimed_ones_too(voided_first: bool) -> None:
    batch = normal(5, limit=None)
    held = batch.distribute(["alice"], 2, now=T0)["alice"]
    batch.redeem(held[0], customer_id="alice", order_number="o1", now=T0)
    if voided_first:
        batch.void(T0)
    killed = batch.delete(T0 + DAY)
    assert killed == (1 if voided_first else 4)
    assert figures(batch) == (5, 1, 0, 1, 4)  # the used code stays a used code
    assert batch.code(held[1]).status is CodeStatus.VOID
    assert batch.wallet("alice", T0 + DAY) == ()
    with pytest.raises(InvalidTransition, match="deleted"):
        batch.redeem(held[1], customer_id="alice", order_number="o2", now=T0 + DAY)
    assert batch.events[-1] == BatchDeleted("b1", T0 + DAY, killed)


# RULES: CPN-3
def test_deleting_a_reusable_batch_kills_the_code() -> None:
    batch = reusable(uses=5)
    assert batch.delete(T0) == 5
    assert figures(batch) == (5, 0, 0, 0, 5)
    with pytest.raises(InvalidTransition, match="deleted"):
        batch.redeem("SUMMER24", customer_id="a", order_number="o1", now=T0)


# RULES: CPN-3
def test_a_draft_issues_nothing() -> None:
    batch = normal(published=False)
    with pytest.raises(InvalidTransition, match="draft"):
        batch.claim("alice", now=T0)
    with pytest.raises(InvalidTransition, match="draft"):
        batch.distribute(["alice"], 1, now=T0)
    with pytest.raises(InvalidTransition, match="draft"):
        reusable(published=False).redeem("SUMMER24", customer_id="a", order_number="o",
                                         now=T0)


# RULES: CPN-3
def test_every_change_is_an_event_and_a_version() -> None:
    batch = normal(published=False)
    assert (batch.version, batch.events) == (0, [])
    batch.publish(T0)
    assert (batch.version, batch.events) == (1, [BatchPublished("b1", T0)])


# RULES: CPN-3
def test_a_copy_is_independent_and_keeps_its_lock_working() -> None:
    batch = normal(3)
    twin = copy.deepcopy(batch)
    twin.claim("alice", now=T0)
    assert batch.figures() == BatchFigures(BatchFamily.NORMAL, 3, 0, 3, 0, 0)
    assert twin.figures().claimed == 1


# RULES: CPN-2
@pytest.mark.parametrize("bad", [
    {"batch_id": " b"}, {"name": ""}, {"terms": "t"}, {"validity": "always"},
    {"family": "normal"}, {"per_customer_limit": 0},
])
def test_malformed_batches_are_refused(bad: dict[str, object]) -> None:
    kwargs: dict[str, object] = {
        "batch_id": "b", "name": "n", "family": BatchFamily.NORMAL, "terms": TERMS,
        "validity": WINDOW, "codes": ["AAAA1"], **bad,
    }
    with pytest.raises((InvalidInput, InvalidConfiguration)):
        CouponBatch(**kwargs)  # type: ignore[arg-type]


# RULES: CPN-8
def test_an_absolute_window_must_end_after_it_starts() -> None:
    with pytest.raises(InvalidConfiguration, match="before it starts"):
        AbsoluteValidity(T0, T0)
    with pytest.raises(InvalidInput, match="time zone"):
        AbsoluteValidity(T0.replace(tzinfo=None), T0 + DAY)
    with pytest.raises(InvalidConfiguration):
        RelativeValidity(0)
