"""The limited-time rule around its price: window, audience, tags, currency, config."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from mallcore.errors import CurrencyMismatch, InvalidConfiguration
from mallcore.money import money
from mallcore.pricing import Buyer, CartLine, LinePrice, LinePriceRule, LineSkip, SkipReason
from mallcore.promotions import LIMITED_TIME, Audience, CustomerScope
from mallcore.promotions.limited_time import (
    LimitedTimeDiscount,
    LimitedTimeItem,
    LimitedTimeRule,
    LimitMode,
    PersonLimit,
    PriceMode,
    Rounding,
)
from mallcore.promotions.window import ALWAYS, Window

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 5, 1, 10, 0, tzinfo=CST)
RED = LimitedTimeItem("red-40", "shoe", PriceMode.DISCOUNT, "7", money("100"), 10, 10)
LINE = CartLine("red-40", "shoe", 2, money("100.00"))
C1 = Buyer("c1")


def discount(**changes: Any) -> LimitedTimeDiscount:
    base = LimitedTimeDiscount("ltd", "春季限时折扣", ALWAYS, [RED])
    return attrs.evolve(base, **changes)


def no_tags(customer_id: str) -> AbstractSet[str]:
    raise AssertionError(f"tags of {customer_id} should not be needed")


def outcome(rule: LimitedTimeRule, buyer: Buyer = C1, line: CartLine = LINE
            ) -> LinePrice | LineSkip | None:
    return rule.price_line(line, buyer, NOW)


def not_eligible(out: LinePrice | LineSkip | None) -> str:
    assert isinstance(out, LineSkip), out
    assert out.reason is SkipReason.CUSTOMER_NOT_ELIGIBLE
    return out.detail


# RULES: LTD-3, PIPE-5
def test_priced_line_carries_limited_time_stacking_and_explains_itself() -> None:
    rule: LinePriceRule = LimitedTimeRule(discount(), tags_of=no_tags)
    assert (rule.id, rule.name, rule.kind) == ("ltd", "春季限时折扣", "limited_time")
    assert outcome(LimitedTimeRule(discount())) == LinePrice(
        14000, LIMITED_TIME, "red-40: 100.00 × 7折 = 70.00")
    cut = LimitedTimeItem("red-40", "shoe", PriceMode.REDUCTION, "30", money("100"), 1, 1)
    assert outcome(LimitedTimeRule(discount(items=[cut]))) == LinePrice(
        14000, LIMITED_TIME, "red-40: 100.00 − 30.00 = 70.00")
    fixed = LimitedTimeItem("red-40", "shoe", PriceMode.FIXED_PRICE, "69.90", money("100"),
                            1, 1)
    assert outcome(LimitedTimeRule(discount(items=[fixed]))) == LinePrice(
        13980, LIMITED_TIME, "red-40: fixed price 69.90 (list 100.00)")


# RULES: LTD-3
def test_other_skus_are_ignored() -> None:
    assert outcome(LimitedTimeRule(discount()), line=CartLine("blue", "shoe", 1,
                                                              money("1"))) is None


# RULES: LTD-3
def test_window_decides_when_the_price_applies() -> None:
    window = Window(datetime(2026, 5, 1, 10, 0, tzinfo=CST),
                    datetime(2026, 5, 1, 12, 0, tzinfo=CST))
    rule = LimitedTimeRule(discount(window=window))
    assert isinstance(outcome(rule), LinePrice)  # start is inclusive
    out = rule.price_line(LINE, Buyer("c1"), window.ends_at or NOW)  # end is exclusive
    assert isinstance(out, LineSkip) and out.reason is SkipReason.OUTSIDE_WINDOW
    assert out.detail == window.describe()
    early = rule.price_line(LINE, Buyer("c1"), NOW - timedelta(seconds=1))
    assert isinstance(early, LineSkip) and early.reason is SkipReason.OUTSIDE_WINDOW


@attrs.frozen
class EveryOtherHour:
    """A stand-in for LTD-1's recurring window, built elsewhere: duck typing is enough."""

    def is_active(self, now: datetime) -> bool:
        return now.hour % 2 == 0

    def overlaps(self, other: object) -> bool:
        return True


# RULES: LTD-3
def test_any_window_with_is_active_and_overlaps_will_do() -> None:
    rule = LimitedTimeRule(discount(window=EveryOtherHour()))
    assert isinstance(outcome(rule), LinePrice)  # 10:00
    out = rule.price_line(LINE, Buyer("c1"), NOW + timedelta(hours=1))
    assert isinstance(out, LineSkip) and out.reason is SkipReason.OUTSIDE_WINDOW
    assert "EveryOtherHour" in out.detail  # no describe(): its repr
    with pytest.raises(InvalidConfiguration, match="is_active") as exc:
        discount(window=object())
    assert exc.value.rule == "LTD-1"


# RULES: LTD-3, ACT-5
@pytest.mark.parametrize(("scope", "admitted", "refused"), [
    (CustomerScope(Audience.LEVELS, {"gold"}), Buyer("c1", "gold"), Buyer("c1", "silver")),
    (CustomerScope(Audience.CUSTOMERS, {"c1"}), Buyer("c1"), Buyer("c2")),
    (CustomerScope(Audience.FIRST_ORDER), Buyer("c1", first_order=True), Buyer("c1")),
])
def test_audience_chooses_who_gets_the_price(scope: CustomerScope, admitted: Buyer,
                                             refused: Buyer) -> None:
    rule = LimitedTimeRule(discount(customers=scope))
    assert isinstance(outcome(rule, admitted), LinePrice)
    assert not_eligible(outcome(rule, refused)) == f"for {scope.describe()}"
    assert not_eligible(outcome(rule, Buyer())) == f"for {scope.describe()}"


# RULES: LTD-3, ACT-5
def test_customer_tags_need_one_matching_tag() -> None:
    tags = {"c1": frozenset({"vip", "student"}), "c2": frozenset({"new"}), "c3": frozenset()}
    asked: list[str] = []

    def tags_of(customer_id: str) -> frozenset[str]:
        asked.append(customer_id)
        return tags[customer_id]

    rule = LimitedTimeRule(discount(customer_tags={"vip", "staff"}), tags_of=tags_of)
    assert isinstance(outcome(rule, Buyer("c1")), LinePrice)
    assert not_eligible(outcome(rule, Buyer("c2"))) == "for customers tagged staff, vip"
    not_eligible(outcome(rule, Buyer("c3")))
    assert "guest" in not_eligible(outcome(rule, Buyer()))
    assert asked == ["c1", "c2", "c3"]


# RULES: LTD-3, ACT-5
def test_tags_and_audience_must_both_admit() -> None:
    rule = LimitedTimeRule(
        discount(customers=CustomerScope(Audience.LEVELS, {"gold"}), customer_tags={"vip"}),
        tags_of=lambda cid: frozenset({"vip"}))
    assert isinstance(outcome(rule, Buyer("c1", "gold")), LinePrice)
    not_eligible(outcome(rule, Buyer("c1", "silver")))


# RULES: ACT-5
def test_tag_targeting_without_a_tag_source_is_refused() -> None:
    with pytest.raises(InvalidConfiguration, match="tags_of") as exc:
        LimitedTimeRule(discount(customer_tags={"vip"}))
    assert exc.value.rule == "ACT-5"
    for bad in ({" "}, {""}, {"vip "}):
        with pytest.raises(InvalidConfiguration):
            discount(customer_tags=bad)
        with pytest.raises(InvalidConfiguration):
            discount(labels=bad)


# RULES: LTD-3
def test_labels_are_for_display_only() -> None:
    labelled = LimitedTimeRule(discount(labels={"爆款", "新品"}))
    assert outcome(labelled) == outcome(LimitedTimeRule(discount()))
    assert labelled.discount.labels == frozenset({"爆款", "新品"})


# RULES: LTD-3
def test_a_setting_that_no_longer_fits_the_current_price_leaves_the_line_alone() -> None:
    cut = LimitedTimeItem("red-40", "shoe", PriceMode.REDUCTION, "30", money("100"), 1, 1)
    fixed = LimitedTimeItem("red-40", "shoe", PriceMode.FIXED_PRICE, "70", money("100"), 1, 1)
    cheap = CartLine("red-40", "shoe", 1, money("20.00"))
    for it, words in ((cut, "reduction 30.00 must be > 0 and ≤ the price 20.00"),
                      (fixed, "fixed price 70.00 must be ≥ 0 and ≤ the price 20.00")):
        out = outcome(LimitedTimeRule(discount(items=[it])), line=cheap)
        assert isinstance(out, LineSkip) and out.reason is SkipReason.NOTHING_TO_DISCOUNT
        assert words in out.detail and "LTD-3" in out.detail and "'red-40'" in out.detail
    # still fitting: priced on the current price
    assert outcome(LimitedTimeRule(discount(items=[cut])), line=CartLine(
        "red-40", "shoe", 1, money("80.00"))) == LinePrice(5000, LIMITED_TIME,
                                                           "red-40: 80.00 − 30.00 = 50.00")
    assert outcome(LimitedTimeRule(discount()), line=CartLine(
        "red-40", "shoe", 1, money("20.00"))) == LinePrice(1400, LIMITED_TIME,
                                                           "red-40: 20.00 × 7折 = 14.00")


# RULES: LTD-3
def test_currency_must_match() -> None:
    usd = LimitedTimeItem("red-40", "shoe", PriceMode.DISCOUNT, "7", money("100", "USD"), 1, 1)
    with pytest.raises(CurrencyMismatch):
        outcome(LimitedTimeRule(discount(items=[usd])))
    blue = LimitedTimeItem("blue", "shoe", PriceMode.DISCOUNT, "7", money("100"), 1, 1)
    with pytest.raises(CurrencyMismatch, match="mix currencies"):
        discount(items=[usd, blue])


# RULES: LTD-3, LTD-6
def test_discount_configuration_refusals() -> None:
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"id": " "}, "ACT-3", "id"),
        ({"id": "ltd "}, "ACT-3", "spaces"),
        ({"name": ""}, "ACT-3", "name"),
        ({"items": []}, "LTD-3", "has no SKU"),
        ({"items": [RED, RED]}, "LTD-6", "'red-40' is listed twice"),
        ({"items": ["red-40"]}, "LTD-3", "LimitedTimeItem"),
        ({"rounding": "drop_fen"}, "LTD-5", "Rounding"),
        ({"customers": Audience.EVERYONE}, "ACT-5", "CustomerScope"),
    ]
    for changes, rule_id, words in cases:
        with pytest.raises(InvalidConfiguration) as exc:
            discount(**changes)
        assert exc.value.rule == rule_id, changes
        assert words in str(exc.value), changes
    with pytest.raises(InvalidConfiguration, match="not a discount"):
        LimitedTimeRule("ltd")  # type: ignore[arg-type]


# RULES: LTD-2, LTD-5
def test_detail_names_rounding_and_limit_together() -> None:
    item = LimitedTimeItem("red-40", "shoe", PriceMode.DISCOUNT, "7", money("100.35"), 9, 9)
    rule = LimitedTimeRule(
        discount(items=[item], rounding=Rounding.DROP_JIAO,
                 limit=PersonLimit(2, LimitMode.FIRST_N)),
        lambda activity, customer, key: 0)
    out = outcome(rule, line=CartLine("red-40", "shoe", 3, money("100.35")))
    assert out == LinePrice(
        2 * 7000 + 10035, LIMITED_TIME,
        "red-40: 100.35 × 7折 = 70.25, 抹角 → 70.00; 2 of 3 at 70.00, 1 at 100.35 "
        "(the first 2 per person per product, 0 bought before, 3 in this order)", units=2)
