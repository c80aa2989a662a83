"""The breakdown explains itself as text and as notebook HTML (PIPE-4)."""

from __future__ import annotations

from strategies import NOW, cart, cny, line, reduction

from mallcore.coupons import CouponOffer, FixedAmount
from mallcore.customers.points import PointsPolicy
from mallcore.money import Rate
from mallcore.pricing import Buyer, PriceBreakdown, PricingPipeline
from mallcore.promotions import Activity, FreeShipping, GiftCoupons, GiftTier

EVIL = "<script>alert('x')</script>"


def sample(name: str = "满100减15") -> PriceBreakdown:
    acts = [
        reduction("r", ("100", "15")),
        reduction("r-big", ("100", "1")),
        Activity("s", "包邮", FreeShipping(cny("100"))),
        Activity("g", "满赠", GiftCoupons([GiftTier(cny("100"), "thanks")])),
    ]
    acts[0] = Activity("r", name, acts[0].benefit)
    return PricingPipeline(acts, points_policy=PointsPolicy()).price(
        cart(line("tea", "100.00"), shipping="1.00"), now=NOW,
        buyer=Buyer("c1", "gold", Rate.zhe(9), points_balance=10),
        coupon=CouponOffer("cp", "无门槛2元", FixedAmount(cny("2"))), points=10)


# RULES: PIPE-4
def test_render_names_stages_promotions_and_payable() -> None:
    b = sample()
    text = b.render()
    for stage in ("list", "activities", "coupons", "membership", "points"):
        assert stage in text
    for token in ("满100减15", "包邮", "无门槛2元", "exclusive", "r-big", "thanks"):
        assert token in text
    assert "Payable: 64.70 CNY" in text
    assert "points used: 10" in text
    assert str(b) == text


# RULES: PIPE-4
def test_render_aligns_cjk_names() -> None:
    text = sample().render()
    rows = [r for r in text.splitlines() if r.startswith(("tea", "shipping", "total"))]
    from mallcore.pricing.render import width

    assert len({width(r) for r in rows}) == 1


# RULES: PIPE-4
def test_html_is_a_table_with_the_payable() -> None:
    html = sample()._repr_html_()
    assert html.lstrip().startswith("<")
    assert "<table" in html and "</table>" in html
    assert "64.70" in html
    assert "exclusive" in html


# RULES: PIPE-4
def test_html_escapes_names() -> None:
    b = sample(EVIL)
    html = b._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert EVIL in b.render()  # plain text keeps the name as is


# RULES: PIPE-4
def test_html_escapes_line_ids() -> None:
    b = PricingPipeline().price(cart(line(EVIL, "1.00")), now=NOW)
    html = b._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


# RULES: PIPE-3, PIPE-4
def test_to_dict_allocations_sum_to_the_saving() -> None:
    b = sample()
    for p in b.to_dict()["applied"]:
        total = sum(int(v.replace(".", "")) for v in p["allocation"].values())
        total += int(p["shipping"].replace(".", ""))  # the shipping fee's share, apart
        assert total == int(p["saving"].replace(".", "")), p


# RULES: PIPE-3, PIPE-4
def test_to_dict_keeps_a_line_called_shipping_apart_from_the_shipping_fee() -> None:
    """Points pay a line whose id is "shipping" and the shipping fee: the JSON must show
    both shares (the allocation must still sum to the saving)."""
    c = cart(line("shipping", "10.00"), shipping="5.00")
    b = PricingPipeline(points_policy=PointsPolicy()).price(
        c, now=NOW, buyer=Buyer("c1", points_balance=100), points=15)
    (p,) = b.applied
    assert len(p.allocation) == 2
    (entry,) = b.to_dict()["applied"]
    assert entry["allocation"] == {"shipping": "10.00"}  # the line called "shipping"
    assert entry["shipping"] == "5.00"  # the shipping fee
