"""FS-2 / FS-5 at pricing are judged on the cart's quantity of a SKU, not line by line:
two lines of one flash SKU are not a way past the per-user limit or the stock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mallcore.money import money
from mallcore.pricing import Buyer, Cart, CartLine, LinePrice, LineSkip, PricingPipeline, SkipReason
from mallcore.promotions import Window
from mallcore.promotions.flash_sale import FlashLimits, FlashSale, FlashSaleItem, FlashSaleRule
from mallcore.promotions.flash_stock import MemoryFlashStock

CST = timezone(timedelta(hours=8))
START = datetime(2026, 11, 11, 10, 0, tzinfo=CST)
DURING = START + timedelta(minutes=1)


def rule(stock: int = 100, limit: int | None = 2) -> FlashSaleRule:
    sale = FlashSale("fs", "秒杀", Window(START, START + timedelta(hours=1)),
                     [FlashSaleItem("red", money("9.90"), stock, per_user_limit=limit)])
    return FlashSaleRule(sale, MemoryFlashStock(), FlashLimits())


def line(quantity: int, line_id: str, sku: str = "red", price: str = "50.00") -> CartLine:
    return CartLine(sku, "shirt", quantity, money(price), line_id=line_id)


# RULES: FS-2
def test_two_lines_over_the_limit_together_are_both_at_the_normal_price() -> None:
    r = rule(limit=2)
    cart = Cart([line(1, "a"), line(2, "b"), line(1, "other", sku="blue")])
    got = r.price_lines(cart.lines, Buyer("alice"), DURING)
    skip = LineSkip(SkipReason.LIMIT_REACHED,
                    "red: limit 2 per customer, 0 already ordered, 3 asked over 2 lines")
    assert got == [skip, skip, None]
    # each line alone would pass: the old line-by-line check let both through
    assert isinstance(r.price_line(cart.lines[0], Buyer("alice"), DURING), LinePrice)
    assert isinstance(r.price_line(cart.lines[1], Buyer("alice"), DURING), LinePrice)
    breakdown = PricingPipeline(line_rules=[r]).price(cart, now=DURING, buyer=Buyer("alice"))
    assert breakdown.line("a").family == breakdown.line("b").family == "regular"
    assert {s.id: s.reason for s in breakdown.skipped}["fs"] is SkipReason.LIMIT_REACHED


# RULES: FS-2
def test_lines_within_the_limit_together_are_each_at_the_flash_price() -> None:
    r = rule(limit=3)
    cart = Cart([line(1, "a"), line(2, "b")])
    breakdown = PricingPipeline(line_rules=[r]).price(cart, now=DURING, buyer=Buyer("alice"))
    assert (breakdown.line("a").family, breakdown.line("b").family) == ("flash_sale",) * 2
    r.submit("alice", "red", 1, "o1", now=DURING)  # one already ordered: 1 + 3 > 3
    again = PricingPipeline(line_rules=[r]).price(cart, now=DURING, buyer=Buyer("alice"))
    assert again.line("a").family == again.line("b").family == "regular"


# RULES: FS-5
def test_lines_of_one_sku_are_judged_together_against_the_remaining_stock() -> None:
    r = rule(stock=2, limit=None)
    got = r.price_lines([line(1, "a"), line(2, "b")], Buyer(), DURING)
    assert got == [LineSkip(SkipReason.LIMIT_REACHED,
                            "red: only 2 flash units left, 3 asked over 2 lines")] * 2
    assert all(isinstance(g, LinePrice) for g in r.price_lines([line(1, "a"), line(1, "b")],
                                                               Buyer(), DURING))


# RULES: FS-2
def test_a_line_the_flash_price_would_not_take_does_not_count_towards_the_limit() -> None:
    r = rule(limit=2)
    cheap = line(5, "cheap", price="5.00")  # list price below the flash price: stays regular
    got = r.price_lines([line(2, "a"), cheap], Buyer("alice"), DURING)
    assert isinstance(got[0], LinePrice)
    assert isinstance(got[1], LineSkip) and got[1].reason is SkipReason.NOTHING_TO_DISCOUNT
