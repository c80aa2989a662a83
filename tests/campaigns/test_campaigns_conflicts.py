"""One validator across flash sales, limited-time discounts and pre-sales (LTD-6,
PIPE-5, PRE-4): same SKU + overlapping windows is refused, naming both."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from mallcore.errors import InvalidConfiguration
from mallcore.money import money
from mallcore.promotions import RecurringWindow, Weekly, Window
from mallcore.promotions.conflicts import find_conflicts, validate_campaigns
from mallcore.promotions.flash_sale import FlashSale, FlashSaleItem
from mallcore.promotions.limited_time import LimitedTimeDiscount, LimitedTimeItem, PriceMode
from mallcore.promotions.presale import PreSale, PreSaleItem
from mallcore.promotions.presale_shipping import ShipAfterPayment
from mallcore.promotions.recurrence import SHANGHAI

MAY_29 = datetime(2018, 5, 29, 10, tzinfo=SHANGHAI)  # the seed's own example dates
JUN_21 = datetime(2018, 6, 21, 10, tzinfo=SHANGHAI)
JUN_22 = datetime(2018, 6, 22, 10, tzinfo=SHANGHAI)
JUN_24 = datetime(2018, 6, 24, 10, tzinfo=SHANGHAI)


def flash(fid: str, window: Window, *skus: str) -> FlashSale:
    return FlashSale(fid, f"秒杀 {fid}", window,
                     [FlashSaleItem(s, money("9.90"), 10) for s in skus])


def ltd(lid: str, window: Window, *skus: str) -> LimitedTimeDiscount:
    return LimitedTimeDiscount(lid, f"限时 {lid}", window, [
        LimitedTimeItem(s, f"p-{s}", PriceMode.DISCOUNT, "8", money("20.00"), 5, 50)
        for s in skus])


def presale(pid: str, window: Window, *skus: str) -> PreSale:
    return PreSale(pid, f"预售 {pid}", window, [PreSaleItem(s, money("15.00")) for s in skus],
                   ShipAfterPayment(7))


def test_flash_sale_and_limited_time_on_one_sku_with_overlapping_windows_are_refused() -> None:
    # RULES: LTD-6 — 2018.05.29 10:00–06.21 10:00, same SKU: refused, naming both
    campaigns = [ltd("ltd-shoes", Window(MAY_29, JUN_21), "red-shoe-38"),
                 flash("fs-shoes", Window(MAY_29 + timedelta(days=3), JUN_22), "red-shoe-38")]
    with pytest.raises(InvalidConfiguration) as caught:
        validate_campaigns(campaigns)
    assert caught.value.rule == "LTD-6"
    assert "fs-shoes" in str(caught.value) and "ltd-shoes" in str(caught.value)
    assert "red-shoe-38" in caught.value.reason


def test_non_overlapping_windows_and_different_skus_are_fine() -> None:
    # RULES: LTD-6 — 05.29–06.21 and 06.22–06.24 may share the SKU
    validate_campaigns([ltd("a", Window(MAY_29, JUN_21), "sku"),
                        flash("b", Window(JUN_22, JUN_24), "sku"),
                        ltd("c", Window(MAY_29, JUN_24), "other")])


def test_two_limited_time_discounts_and_two_flash_sales_conflict_too() -> None:
    # RULES: LTD-6
    found = find_conflicts([ltd("l1", Window(MAY_29, JUN_21), "s"),
                            ltd("l2", Window(JUN_21 - timedelta(hours=1), JUN_24), "s"),
                            flash("f1", Window(JUN_22, JUN_24), "t"),
                            flash("f2", Window(JUN_22, JUN_24), "t")])
    assert [(c.first, c.second, c.sku, c.rule) for c in found] == [
        ("f1", "f2", "t", "LTD-6"), ("l1", "l2", "s", "LTD-6")]


def test_a_pre_sale_conflicts_with_flash_and_limited_time_on_its_skus() -> None:
    # RULES: PIPE-5
    found = find_conflicts([presale("pre", Window(MAY_29, JUN_24), "tea"),
                            flash("fs", Window(JUN_22, JUN_24), "tea"),
                            ltd("lt", Window(MAY_29, JUN_21), "tea")])
    # fs (06.22–06.24) and lt (05.29–06.21) share "tea" but never overlap in time
    assert {(c.first, c.second, c.rule) for c in found} == {
        ("fs", "pre", "PIPE-5"), ("lt", "pre", "PIPE-5")}


def test_two_pre_sales_in_progress_together_conflict_without_a_shared_sku() -> None:
    # RULES: PRE-4
    with pytest.raises(InvalidConfiguration) as caught:
        validate_campaigns([presale("p1", Window(MAY_29, JUN_21), "a"),
                            presale("p2", Window(JUN_21 - timedelta(days=1), JUN_24), "b")])
    assert caught.value.rule == "PRE-4"
    validate_campaigns([presale("p1", Window(MAY_29, JUN_21), "a"),
                        presale("p2", Window(JUN_21, JUN_24), "b")])  # back to back: fine


def test_recurring_windows_conflict_only_where_their_occurrences_meet() -> None:
    # RULES: LTD-1, LTD-6 — weekday mornings and weekend flash sales never meet
    week = (datetime(2026, 11, 23, tzinfo=SHANGHAI), datetime(2026, 12, 21, tzinfo=SHANGHAI))
    mornings = RecurringWindow(*week, Weekly(frozenset({0, 1, 2, 3, 4}), time(9), time(12)))
    weekends = RecurringWindow(*week, Weekly(frozenset({5, 6}), time(9), time(12)))
    validate_campaigns([ltd("weekday", mornings, "sku"), flash("weekend", weekends, "sku")])
    tuesday = Window(datetime(2026, 11, 24, 11, tzinfo=SHANGHAI),
                     datetime(2026, 11, 24, 13, tzinfo=SHANGHAI))
    with pytest.raises(InvalidConfiguration):
        validate_campaigns([ltd("weekday", mornings, "sku"), flash("tue", tuesday, "sku")])
