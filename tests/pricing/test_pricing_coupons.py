"""Stage 2, the coupon: CPN-1 benefit kinds, thresholds after stage 1, scope, strictness."""

from __future__ import annotations

import pytest
from strategies import NOW, FixedLinePrice, cart, check_breakdown, cny, line, reduction

from mallcore.coupons import CouponOffer, ExchangeItem, FixedAmount, FreeShippingCoupon, PercentOff
from mallcore.errors import CurrencyMismatch, InvalidConfiguration, NotAllowed
from mallcore.money import Rate, money
from mallcore.pricing import SHIPPING, Cart, PriceBreakdown, PricingPipeline, SkipReason, Stage
from mallcore.promotions import FLASH_SALE, LIMITED_TIME, Activity, FreeShipping, ProductScope


def price(c: Cart, coupon: CouponOffer, acts: list[Activity] = (),  # type: ignore[assignment]
          strict: bool = True, **kw) -> PriceBreakdown:  # type: ignore[no-untyped-def]
    b = PricingPipeline(acts, **kw).price(c, now=NOW, coupon=coupon, strict_coupon=strict)
    check_breakdown(b, c)
    return b


def coupon_saving(b: PriceBreakdown) -> int:
    return b.total_fen(Stage.ACTIVITIES) - b.total_fen(Stage.COUPONS)


def fixed(amount: str, threshold: str | None = None, scope: ProductScope | None = None
          ) -> CouponOffer:
    return CouponOffer("cp", "coupon", FixedAmount(cny(amount)),
                       None if threshold is None else cny(threshold), scope or ProductScope())


# RULES: CPN-1
def test_fixed_amount_without_threshold() -> None:
    b = price(cart(line("x", "30.00"), line("y", "10.00")), fixed("4"))
    assert coupon_saving(b) == 400
    (p,) = b.applied_in(Stage.COUPONS)
    assert dict(p.allocation) == {"x": 300, "y": 100}  # PIPE-3: in proportion


# RULES: CPN-1
def test_fixed_amount_never_takes_goods_below_zero() -> None:
    b = price(cart(line("x", "3.00"), shipping="5.00"), fixed("50"))
    assert b.line("x").fen[2] == 0
    assert coupon_saving(b) == 300
    assert b.shipping_fen[2] == 500  # a goods voucher does not pay shipping


# RULES: CPN-1
@pytest.mark.parametrize(("goods", "cap", "saving"), [
    ("100.00", None, 2000),
    ("100.00", "15", 1500),
    ("50.00", "15", 1000),
    ("0.03", None, 1),  # 0.006 half-up → 0.01
])
def test_percent_off_with_optional_cap(goods: str, cap: str | None, saving: int) -> None:
    coupon = CouponOffer("cp", "8折券", PercentOff(Rate.zhe(8), None if cap is None else cny(cap)))
    assert coupon_saving(price(cart(line("x", goods)), coupon)) == saving


# RULES: CPN-1
def test_exchange_item_makes_one_unit_free() -> None:
    coupon = CouponOffer("cp", "兑换券", ExchangeItem("cup"))
    c = cart(line("tea", "80.00"), line("cup", "12.50", 3))
    b = price(c, coupon)
    (p,) = b.applied_in(Stage.COUPONS)
    assert p.allocation == (("cup", 1250),)
    assert b.line("tea").fen[2] == 8000


# RULES: CPN-1, PIPE-4
def test_exchange_item_not_in_cart() -> None:
    coupon = CouponOffer("cp", "兑换券", ExchangeItem("cup"))
    c = cart(line("tea", "80.00"))
    with pytest.raises(NotAllowed) as err:
        price(c, coupon)
    assert err.value.rule == "CPN-1"
    b = price(c, coupon, strict=False)
    (skip,) = b.skipped_in(Stage.COUPONS)
    assert skip.reason is SkipReason.EXCLUDED_PRODUCT


# RULES: CPN-1
def test_free_shipping_coupon_pays_the_shipping_only() -> None:
    coupon = CouponOffer("cp", "包邮券", FreeShippingCoupon())
    b = price(cart(line("x", "30.00"), shipping="6.00"), coupon)
    (p,) = b.applied_in(Stage.COUPONS)
    assert p.allocation == ((SHIPPING, 600),)
    assert b.shipping_fen == (600, 600, 0, 0, 0)
    assert b.line("x").fen[2] == 3000


# RULES: CPN-1, PIPE-4
def test_free_shipping_coupon_when_an_activity_already_waived_shipping() -> None:
    coupon = CouponOffer("cp", "包邮券", FreeShippingCoupon())
    acts = [Activity("s", "包邮", FreeShipping())]
    c = cart(line("x", "30.00"), shipping="6.00")
    b = price(c, coupon, acts, strict=False)
    (skip,) = b.skipped_in(Stage.COUPONS)
    assert skip.reason is SkipReason.ALREADY_FREE
    with pytest.raises(NotAllowed):
        price(c, coupon, acts)


# RULES: CPN-1, PIPE-1
def test_threshold_is_measured_after_stage_one() -> None:
    """004: the coupon threshold is the goods total after marketing activities."""
    coupon = fixed("5", threshold="100")
    c = cart(line("x", "100.00"))
    assert coupon_saving(price(c, coupon)) == 500  # no activity: 100.00 meets 100
    acts = [reduction("r", ("100", "1"))]  # 100.00 → 99.00
    b = price(c, coupon, acts, strict=False)
    assert coupon_saving(b) == 0
    (skip,) = b.skipped_in(Stage.COUPONS)
    assert skip.reason is SkipReason.THRESHOLD_NOT_MET
    assert "99.00" in skip.detail
    with pytest.raises(NotAllowed) as err:
        price(c, coupon, acts)
    assert err.value.rule == "CPN-1"


# RULES: CPN-1
def test_threshold_is_measured_on_in_scope_lines() -> None:
    scope = ProductScope(products={"p-tea"})
    coupon = fixed("5", threshold="50", scope=scope)
    c = cart(line("tea", "40.00", product="p-tea"), line("cup", "100.00", product="p-cup"))
    b = price(c, coupon, strict=False)
    assert b.skipped_in(Stage.COUPONS)[0].reason is SkipReason.THRESHOLD_NOT_MET
    c2 = cart(line("tea", "50.00", product="p-tea"), line("cup", "100.00", product="p-cup"))
    (p,) = price(c2, coupon).applied_in(Stage.COUPONS)
    assert p.allocation == (("tea", 500),)


# RULES: CPN-1
@pytest.mark.parametrize("scope", [
    ProductScope(products={"p-tea"}), ProductScope(categories={"tea"}), ProductScope(skus={"tea"}),
])
def test_scope_by_product_category_or_sku(scope: ProductScope) -> None:
    coupon = CouponOffer("cp", "茶券", PercentOff(Rate.zhe(5)), scope=scope)
    c = cart(line("tea", "20.00", product="p-tea", categories={"tea"}),
             line("cup", "100.00", product="p-cup", categories={"ware"}))
    (p,) = price(c, coupon).applied_in(Stage.COUPONS)
    assert p.allocation == (("tea", 1000),)
    assert price(c, coupon).line("cup").fen[2] == 10000


# RULES: CPN-1, PIPE-4
def test_out_of_scope_coupon_strict_and_lenient() -> None:
    coupon = fixed("5", scope=ProductScope(categories={"tea"}))
    c = cart(line("cup", "100.00", categories={"ware"}))
    with pytest.raises(NotAllowed) as err:
        price(c, coupon)
    assert err.value.rule == "CPN-1"
    b = price(c, coupon, strict=False)
    assert b.applied_in(Stage.COUPONS) == ()
    (skip,) = b.skipped
    assert (skip.stage, skip.id, skip.reason) == (Stage.COUPONS, "cp",
                                                  SkipReason.EXCLUDED_PRODUCT)
    assert b.payable_fen == 10000


# RULES: CPN-1, PIPE-4
def test_below_threshold_strict_and_lenient() -> None:
    coupon = fixed("20", threshold="200")
    c = cart(line("x", "199.99"))
    with pytest.raises(NotAllowed) as err:
        price(c, coupon)
    assert err.value.rule == "CPN-1"
    b = price(c, coupon, strict=False)
    (skip,) = b.skipped
    assert skip.reason is SkipReason.THRESHOLD_NOT_MET
    assert b.payable_fen == 19999


# RULES: CPN-1, PIPE-5
def test_coupon_on_lines_that_cannot_take_coupons() -> None:
    rule = FixedLinePrice("flash", {"x": 5000}, FLASH_SALE)
    c = cart(line("x", "80.00"))
    with pytest.raises(NotAllowed) as err:
        price(c, fixed("5"), line_rules=[rule])
    assert err.value.rule == "PIPE-5"
    b = price(c, fixed("5"), strict=False, line_rules=[rule])
    assert b.skipped_in(Stage.COUPONS)[0].reason is SkipReason.NOT_STACKABLE


# RULES: CPN-1, PIPE-5
def test_coupon_base_excludes_lines_whose_family_forbids_coupons() -> None:
    rule = FixedLinePrice("ltd", {"x": 5000}, LIMITED_TIME)
    c = cart(line("x", "80.00"), line("y", "30.00"))
    coupon = fixed("10", threshold="50")
    b = price(c, coupon, strict=False, line_rules=[rule])
    # 80.00 (now 50.00) is limited-time: only y's 30.00 counts
    assert b.skipped_in(Stage.COUPONS)[0].reason is SkipReason.THRESHOLD_NOT_MET
    b = price(c, fixed("10"), line_rules=[rule])
    assert b.applied_in(Stage.COUPONS)[0].allocation == (("y", 1000),)


# RULES: CPN-1
def test_coupon_in_another_currency_is_refused() -> None:
    coupon = CouponOffer("cp", "usd", FixedAmount(money("1", "USD")), currency="USD")
    with pytest.raises(CurrencyMismatch):
        price(cart(line("x", "10.00")), coupon)


# RULES: CPN-1
def test_coupon_configuration_checks() -> None:
    with pytest.raises(InvalidConfiguration):
        CouponOffer("cp", "zero", FixedAmount(cny("0")))
    with pytest.raises(InvalidConfiguration):
        CouponOffer("cp", "cap", PercentOff(Rate.zhe(8), cny("0")))
    with pytest.raises(CurrencyMismatch):
        CouponOffer("cp", "usd", FixedAmount(money("1", "USD")))
