"""Targeted distribution (CPN-7): segments, counting, refusing short stock, SMS credits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest
from coupons_helpers import DAY, T0, normal, reusable

from mallcore.coupons.batches import CouponBatch, RelativeValidity
from mallcore.coupons.segments import (
    CampaignPlan,
    LevelIn,
    NotPaidWithin,
    PaidWithin,
    Registered,
    Segment,
    SmsBudget,
    Spent,
    Tagged,
    plan_campaign,
    run_campaign,
)
from mallcore.customers import Customer
from mallcore.errors import (
    CurrencyMismatch,
    InvalidConfiguration,
    InvalidInput,
    InvalidTransition,
    LimitReached,
    NotAllowed,
)
from mallcore.money import Money, money

NOW = T0 + 400 * DAY

CUSTOMERS = [
    Customer("lapsed", "L", phone="13800000001", level_id="gold", tags={"vip"},
             registered_at=T0 - 100 * DAY),
    Customer("active", "A", phone="13800000002", tags={"vip", "new"},
             registered_at=T0 + 300 * DAY),
    Customer("gone", "G", tags={"old"}, registered_at=T0 - 900 * DAY),
    Customer("never", "N", phone="13800000004", level_id="gold"),
    Customer("banned", "B", phone="13800000005", tags={"vip"}, blacklisted=True),
    Customer("edge", "E", registered_at=T0),
]

PAID: dict[str, list[tuple[datetime, Money]]] = {
    "lapsed": [(NOW - 200 * DAY, money("80.00")), (NOW - 100 * DAY, money("40.00"))],
    "active": [(NOW - 300 * DAY, money("10.00")), (NOW - 5 * DAY, money("500.00"))],
    "gone": [(NOW - 500 * DAY, money("1000.00"))],
    "banned": [(NOW - 200 * DAY, money("99.00"))],
    "edge": [(NOW - 360 * DAY, money("1.00")), (NOW + DAY, money("5.00"))],
}


def history(customer_id: str) -> Sequence[tuple[datetime, Money]]:
    return PAID.get(customer_id, [])


def lapsing() -> Segment:
    """Paid within the last 360 days but not in the last 90."""
    return Segment(PaidWithin(360), NotPaidWithin(90), history=history)


# RULES: CPN-7
def test_paid_within_360_days_but_not_in_the_last_90() -> None:
    # edge paid exactly 360 days ago (inside, the window is closed) and "tomorrow" (not yet)
    assert lapsing().select(CUSTOMERS, NOW) == ["edge", "lapsed"]
    # ninety days on, active has lapsed and edge's latest payment is recent
    assert lapsing().select(CUSTOMERS, NOW + 90 * DAY) == ["active", "lapsed"]


# RULES: CPN-7
def test_the_behaviour_window_boundaries_are_closed() -> None:
    paid = {"x": [(NOW - 90 * DAY, money("1.00"))]}
    segment = Segment(NotPaidWithin(90), history=lambda c: paid.get(c, []))
    x = Customer("x", "x")
    assert segment.select([x], NOW) == []  # exactly 90 days ago is "in the last 90 days"
    assert segment.select([x], NOW + DAY / 86400) == ["x"]
    assert Segment(PaidWithin(90), history=lambda c: paid.get(c, [])).select([x], NOW) == ["x"]


# RULES: CPN-7
def test_attribute_and_tag_segments() -> None:
    assert Segment(LevelIn({"gold"})).select(CUSTOMERS, NOW) == ["lapsed", "never"]
    assert Segment(Tagged({"vip", "old"})).select(CUSTOMERS, NOW) == ["active", "gone",
                                                                       "lapsed"]
    assert Segment(Tagged({"vip", "new"}, require_all=True)).select(CUSTOMERS, NOW) == [
        "active"]
    assert Segment(Registered(before=T0)).select(CUSTOMERS, NOW) == ["gone", "lapsed"]
    assert Segment(Registered(after=T0)).select(CUSTOMERS, NOW) == ["active", "edge"]
    assert Segment(Registered(after=T0 - 200 * DAY, before=T0 + DAY)).select(
        CUSTOMERS, NOW) == ["edge", "lapsed"]


# RULES: CPN-7
def test_spending_totals() -> None:
    big = Segment(Spent(at_least=money("500.00")), history=history)
    assert big.select(CUSTOMERS, NOW) == ["active", "gone"]
    recent_small = Segment(Spent(at_least=money("1.00"), below=money("200.00"),
                                 within_days=360), history=history)
    # active spent 510 in the window; gone's 1000 is older; edge's future payment is unknown
    assert recent_small.select(CUSTOMERS, NOW) == ["edge", "lapsed"]
    assert Segment(Spent(below=money("0.01")), history=history).select(CUSTOMERS, NOW) == [
        "never"]


# RULES: CPN-7
def test_conditions_combine_and_blacklisted_customers_are_left_out() -> None:
    segment = Segment(Tagged({"vip"}), PaidWithin(360), history=history)
    assert segment.select(CUSTOMERS, NOW) == ["active", "lapsed"]  # banned is vip and paid
    assert segment.select(list(reversed(CUSTOMERS)) + CUSTOMERS, NOW) == ["active", "lapsed"]


# RULES: CPN-7
def test_malformed_segments_are_refused() -> None:
    with pytest.raises(InvalidConfiguration, match="order history"):
        Segment(PaidWithin(30))
    with pytest.raises(InvalidConfiguration, match="at least one condition"):
        Segment()
    for build in (lambda: PaidWithin(0), lambda: LevelIn(set()), lambda: Tagged(set()),
                  Registered, Spent,
                  lambda: Spent(at_least=money("5"), below=money("5")),
                  lambda: Registered(after=T0, before=T0)):
        with pytest.raises(InvalidConfiguration):
            build()
    with pytest.raises(CurrencyMismatch):
        Segment(Spent(at_least=money("5")), history=lambda c: [(NOW, money("9", "USD"))]
                ).select([Customer("x", "x")], NOW)
    with pytest.raises(InvalidInput, match="time zone"):
        lapsing().select(CUSTOMERS, NOW.replace(tzinfo=None))


def stocked(quantity: int) -> CouponBatch:
    return normal(quantity, validity=RelativeValidity(30))


# RULES: CPN-7
def test_a_plan_counts_recipients_before_anything_is_sent() -> None:
    batch = stocked(10)
    plan = plan_campaign(lapsing(), batch, 2, CUSTOMERS, NOW)
    assert plan == CampaignPlan("b1", 2, ("edge", "lapsed"))
    assert plan.coupons_needed == 4
    assert batch.remaining == 10 and batch.version == 1  # planning sent nothing
    result = run_campaign(plan, batch, NOW)
    assert [(c, len(codes)) for c, codes in result.grants] == [("edge", 2), ("lapsed", 2)]
    assert batch.remaining == 6
    assert (result.messaged, result.not_messaged) == ((), ())


# RULES: CPN-7
def test_the_campaign_is_refused_when_stock_is_short() -> None:
    batch = stocked(3)
    with pytest.raises(LimitReached, match="need 4 coupons, 3 in stock") as err:
        plan_campaign(lapsing(), batch, 2, CUSTOMERS, NOW)
    assert err.value.rule == "CPN-7"
    assert batch.remaining == 3 and batch.codes_of("lapsed") == ()
    plan_campaign(lapsing(), stocked(4), 2, CUSTOMERS, NOW)  # exactly enough is fine


# RULES: CPN-7
def test_stock_taken_between_plan_and_run_sends_nothing() -> None:
    batch = stocked(4)
    plan = plan_campaign(lapsing(), batch, 2, CUSTOMERS, NOW)
    batch.claim("someone", now=NOW)
    with pytest.raises(LimitReached, match="not enough coupons to distribute"):
        run_campaign(plan, batch, NOW, sms_budget=SmsBudget(10))
    assert batch.codes_of("lapsed") == ()


# RULES: CPN-7
def test_only_normal_published_live_batches() -> None:
    with pytest.raises(NotAllowed, match="only normal coupons") as err:
        plan_campaign(lapsing(), reusable(), 1, CUSTOMERS, NOW)
    assert err.value.rule == "CPN-7"
    with pytest.raises(InvalidTransition, match="draft"):
        plan_campaign(lapsing(), normal(published=False), 1, CUSTOMERS, NOW)
    with pytest.raises(NotAllowed, match="expired"):
        plan_campaign(lapsing(), normal(), 1, CUSTOMERS, NOW)  # WINDOW ended at T0 + 30
    with pytest.raises(NotAllowed, match="no customer matches"):
        plan_campaign(Segment(LevelIn({"diamond"})), stocked(5), 1, CUSTOMERS, NOW)


# RULES: CPN-7
def test_sms_goes_to_recipients_with_a_phone() -> None:
    batch = stocked(10)
    segment = Segment(Tagged({"vip", "old"}))
    plan = plan_campaign(segment, batch, 1, CUSTOMERS, NOW, sms=True)
    assert plan.recipients == ("active", "gone", "lapsed")
    assert plan.sms_recipients == ("active", "lapsed")
    assert plan.without_phone == ("gone",)
    budget = SmsBudget(5)
    result = run_campaign(plan, batch, NOW, sms_budget=budget)
    assert result.messaged == ("active", "lapsed")
    assert budget.credits == 3


# RULES: CPN-7, SMS-4
def test_short_sms_credits_still_send_every_coupon_and_stop_the_messages() -> None:
    batch = stocked(10)
    plan = plan_campaign(Segment(Tagged({"vip", "old"})), batch, 2, CUSTOMERS, NOW, sms=True)
    budget = SmsBudget(1)
    result = run_campaign(plan, batch, NOW, sms_budget=budget)
    assert [c for c, _ in result.grants] == ["active", "gone", "lapsed"]
    assert batch.remaining == 4
    assert (result.messaged, result.not_messaged) == (("active",), ("lapsed",))
    assert budget.credits == 0
    assert SmsBudget(0).send(["a", "b"]).sent == ()


# RULES: CPN-7
def test_running_is_checked_before_sending() -> None:
    batch = stocked(10)
    plan = plan_campaign(lapsing(), batch, 1, CUSTOMERS, NOW, sms=True)
    with pytest.raises(InvalidInput, match="no SMS budget"):
        run_campaign(plan, batch, NOW)
    with pytest.raises(InvalidInput, match="not the planned"):
        run_campaign(plan, normal(batch_id="b2"), NOW, sms_budget=SmsBudget(1))
    assert batch.remaining == 10
    with pytest.raises(InvalidInput):
        SmsBudget(-1)
