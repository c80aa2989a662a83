"""Products and SKUs: what a valid catalogue entry is, and every way to be refused."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest
from attrs.exceptions import FrozenInstanceError
from hypothesis import given
from hypothesis import strategies as st
from moneyed import Money as RawMoney

from mallcore.catalog import (
    MAX_CATEGORIES,
    MAX_NAME_LENGTH,
    MAX_SUMMARY_LENGTH,
    Product,
    ProductKind,
    Sku,
    StockStrategy,
    make_slug,
)
from mallcore.errors import InvalidInput, NotFound
from mallcore.money import money


def sku(sku_id: str = "s1", price: str = "10.00", **kw: object) -> Sku:
    return Sku(id=sku_id, price=money(price), **kw)  # type: ignore[arg-type]


def product(**kw: object) -> Product:
    fields: dict[str, object] = {"id": "p1", "name": "Green tea", "skus": (sku(),)}
    fields.update(kw)
    return Product(**fields)  # type: ignore[arg-type]


def refused(excinfo: pytest.ExceptionInfo[InvalidInput], rule: str, *words: str) -> None:
    """The refusal names the rule and explains itself with the given words."""
    assert excinfo.value.rule == rule
    text = str(excinfo.value)
    for word in words:
        assert word in text, f"{word!r} not in {text!r}"


# --- CAT-1 kinds -----------------------------------------------------------------


def test_physical_products_need_shipping_and_virtual_do_not() -> None:
    # RULES: CAT-1
    assert product().kind is ProductKind.PHYSICAL
    assert product().needs_shipping is True
    assert product(kind=ProductKind.VIRTUAL).needs_shipping is False


def test_physical_product_may_name_a_shipping_template() -> None:
    # RULES: CAT-1, CAT-2
    assert product(shipping_template="standard").shipping_template == "standard"


def test_virtual_product_with_a_shipping_template_is_refused() -> None:
    # RULES: CAT-1
    with pytest.raises(InvalidInput) as exc:
        product(kind=ProductKind.VIRTUAL, shipping_template="standard")
    refused(exc, "CAT-1", "shipping template", "virtual")


def test_kind_must_be_a_product_kind() -> None:
    # RULES: CAT-1
    with pytest.raises(InvalidInput) as exc:
        product(kind="physical")
    refused(exc, "CAT-1", "kind")


# --- CAT-2 name, summary, slug, categories, brand ----------------------------------


def test_name_of_exactly_100_characters_is_accepted_101_refused() -> None:
    # RULES: CAT-2
    assert len(product(name="茶" * MAX_NAME_LENGTH).name) == 100
    with pytest.raises(InvalidInput) as exc:
        product(name="茶" * (MAX_NAME_LENGTH + 1))
    refused(exc, "CAT-2", "name", "101 characters", "at most 100")


@pytest.mark.parametrize("name", ["", "   ", None, 42])
def test_blank_or_non_text_name_is_refused(name: object) -> None:
    # RULES: CAT-2
    with pytest.raises(InvalidInput) as exc:
        product(name=name, slug="tea")
    refused(exc, "CAT-2", "name")


def test_summary_of_200_characters_is_accepted_201_refused() -> None:
    # RULES: CAT-2
    assert len(product(summary="x" * MAX_SUMMARY_LENGTH).summary) == 200
    with pytest.raises(InvalidInput) as exc:
        product(summary="x" * (MAX_SUMMARY_LENGTH + 1))
    refused(exc, "CAT-2", "summary", "201 characters", "at most 200")


def test_ten_categories_are_accepted_eleven_refused() -> None:
    # RULES: CAT-2
    ten = [f"c{i}" for i in range(MAX_CATEGORIES)]
    assert product(categories=ten).categories == tuple(ten)
    with pytest.raises(InvalidInput) as exc:
        product(categories=[*ten, "c10"])
    refused(exc, "CAT-2", "categories", "11 given", "at most 10")


def test_duplicate_or_blank_category_is_refused() -> None:
    # RULES: CAT-2
    with pytest.raises(InvalidInput) as exc:
        product(categories=["tea", "tea"])
    refused(exc, "CAT-2", "'tea' is listed twice")
    with pytest.raises(InvalidInput) as exc:
        product(categories=["tea", " "])
    refused(exc, "CAT-2", "category")


def test_categories_given_as_one_text_are_refused_not_split_into_letters() -> None:
    # RULES: CAT-2
    with pytest.raises(InvalidInput) as exc:
        product(categories="tea")
    refused(exc, "CAT-2", "categories")


def test_one_brand_and_one_template_blank_values_refused() -> None:
    # RULES: CAT-2
    assert product(brand="Lipton").brand == "Lipton"
    with pytest.raises(InvalidInput) as exc:
        product(brand=" ")
    refused(exc, "CAT-2", "brand")
    with pytest.raises(InvalidInput) as exc:
        product(brand=["Lipton", "Twinings"])
    refused(exc, "CAT-2", "brand")
    with pytest.raises(InvalidInput) as exc:
        product(shipping_template="")
    refused(exc, "CAT-2", "shipping template")


def test_slug_is_generated_from_an_ascii_name() -> None:
    # RULES: CAT-2
    assert product(name="  Green Tea -- 500g! ").slug == "green-tea-500g"
    assert product(name="Café Crème").slug == "cafe-creme"


def test_non_ascii_name_falls_back_to_the_product_id() -> None:
    # RULES: CAT-2
    assert product(id="SKU_0042", name="绿茶 500g").slug == "sku-0042"


def test_slug_from_a_non_ascii_id_is_a_stable_digest() -> None:
    # RULES: CAT-2
    first = make_slug("绿茶", "绿茶")
    assert first.startswith("p-")
    assert first == make_slug("绿茶", "绿茶")
    assert first != make_slug("红茶", "红茶")
    assert product(id="绿茶", name="绿茶").slug == first


def test_an_explicit_slug_wins_over_the_generated_one() -> None:
    # RULES: CAT-2
    assert product(slug="tea-2024").slug == "tea-2024"


@pytest.mark.parametrize("slug", ["", "Green-Tea", "green tea", "a--b", "-a", "tea/2", "茶"])
def test_malformed_slug_is_refused(slug: str) -> None:
    # RULES: CAT-2
    with pytest.raises(InvalidInput) as exc:
        product(slug=slug)
    refused(exc, "CAT-2", "slug")


def test_slug_longer_than_100_is_refused() -> None:
    # RULES: CAT-2
    with pytest.raises(InvalidInput) as exc:
        product(slug="a" * 101)
    refused(exc, "CAT-2", "slug", "101 characters")


@given(st.text(max_size=150), st.text(min_size=1, max_size=30))
def test_generated_slugs_are_always_valid_and_deterministic(name: str, pid: str) -> None:
    # RULES: CAT-2
    slug = make_slug(name, pid)
    assert slug == make_slug(name, pid)
    assert 1 <= len(slug) <= 100
    assert slug.isascii()
    assert slug == slug.lower()
    assert "--" not in slug and not slug.startswith("-") and not slug.endswith("-")


@pytest.mark.parametrize("pid", ["", " ", " p1", None])
def test_blank_or_padded_product_id_is_refused(pid: object) -> None:
    # RULES: CAT-2
    with pytest.raises(InvalidInput) as exc:
        product(id=pid, slug="tea")
    refused(exc, "CAT-2", "product id")


# --- CAT-3 SKUs --------------------------------------------------------------------


def test_sku_carries_attributes_price_original_price_stock_alert_points() -> None:
    # RULES: CAT-3
    s = Sku(
        id="s1",
        price=money("9.90"),
        original_price=money("12.00"),
        stock=7,
        low_stock_alert=2,
        points_coefficient=Decimal("0.5"),
        attributes={"size": "L", "colour": "red"},
    )
    assert s.price_fen == 990
    assert s.original_price == money("12.00")
    assert (s.stock, s.low_stock_alert) == (7, 2)
    assert s.attribute_map == {"colour": "red", "size": "L"}


def test_sku_attributes_are_hashable_and_order_independent() -> None:
    # RULES: CAT-3
    a = sku(attributes={"size": "L", "colour": "red"})
    b = sku(attributes=[("colour", "red"), ("size", "L")])
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1


def test_repeated_attribute_name_is_refused() -> None:
    # RULES: CAT-3
    with pytest.raises(InvalidInput) as exc:
        sku(attributes=[("size", "L"), ("size", "M")])
    refused(exc, "CAT-3", "'size' given twice")


def test_negative_price_is_refused() -> None:
    # RULES: CAT-3
    with pytest.raises(InvalidInput) as exc:
        Sku(id="s1", price=money("-0.01"))
    refused(exc, "CAT-3", "price of SKU 's1'", "negative")


def test_float_price_is_refused() -> None:
    # RULES: CAT-3
    with pytest.raises(InvalidInput) as exc:
        Sku(id="s1", price=9.9)  # type: ignore[arg-type]
    refused(exc, "CAT-3", "price", "not Money")
    with pytest.raises(InvalidInput):
        money(9.9)  # type: ignore[arg-type]


def test_price_as_text_is_refused_money_is_required() -> None:
    # RULES: CAT-3
    with pytest.raises(InvalidInput) as exc:
        Sku(id="s1", price="9.90")  # type: ignore[arg-type]
    refused(exc, "CAT-3", "not Money")


def test_price_with_a_fraction_of_a_fen_is_refused() -> None:
    # RULES: CAT-3
    with pytest.raises(InvalidInput) as exc:
        Sku(id="s1", price=RawMoney("9.999", "CNY"))
    refused(exc, "CAT-3", "price", "2 decimal")


def test_negative_or_other_currency_original_price_is_refused() -> None:
    # RULES: CAT-3
    with pytest.raises(InvalidInput) as exc:
        sku(original_price=money("-1"))
    refused(exc, "CAT-3", "original price", "negative")
    with pytest.raises(InvalidInput) as exc:
        sku(original_price=money("12", "USD"))
    refused(exc, "CAT-3", "original price", "USD")


@pytest.mark.parametrize("field", ["stock", "low_stock_alert"])
@pytest.mark.parametrize("value", [-1, 1.0, True, "3"])
def test_stock_and_alert_must_be_whole_and_not_negative(field: str, value: object) -> None:
    # RULES: CAT-3
    with pytest.raises(InvalidInput) as exc:
        sku(**{field: value})  # type: ignore[arg-type]
    assert exc.value.rule == "CAT-3"


@pytest.mark.parametrize("value", [0.5, Decimal("-0.1"), Decimal("NaN"), "1"])
def test_points_coefficient_must_be_a_non_negative_decimal(value: object) -> None:
    # RULES: CAT-3
    with pytest.raises(InvalidInput) as exc:
        sku(points_coefficient=value)
    refused(exc, "CAT-3", "points coefficient")
    with pytest.raises(InvalidInput) as exc:
        product(points_coefficient=value)
    refused(exc, "CAT-3", "points coefficient")


def test_low_stock_is_at_or_below_the_alert() -> None:
    # RULES: CAT-3
    assert sku(stock=3, low_stock_alert=3).is_low_on_stock
    assert sku(stock=2, low_stock_alert=3).is_low_on_stock
    assert not sku(stock=4, low_stock_alert=3).is_low_on_stock
    assert sku(stock=0, low_stock_alert=0).is_low_on_stock


def test_product_needs_at_least_one_sku() -> None:
    # RULES: CAT-3
    with pytest.raises(InvalidInput) as exc:
        product(skus=())
    refused(exc, "CAT-3", "at least one SKU")


def test_sku_ids_are_unique_within_a_product() -> None:
    # RULES: CAT-3
    with pytest.raises(InvalidInput) as exc:
        product(skus=(sku("s1", attributes={"size": "S"}), sku("s1", attributes={"size": "L"})))
    refused(exc, "CAT-3", "'s1' is used twice")


def test_two_skus_with_the_same_attributes_are_refused() -> None:
    # RULES: CAT-3
    with pytest.raises(InvalidInput) as exc:
        product(skus=(sku("s1", attributes={"size": "L"}), sku("s2", attributes={"size": "L"})))
    refused(exc, "CAT-3", "share the attributes")


def test_all_skus_of_a_product_share_one_currency() -> None:
    # RULES: CAT-3
    usd = Sku(id="s2", price=money("1", "USD"), attributes={"size": "L"})
    with pytest.raises(InvalidInput) as exc:
        product(skus=(sku(attributes={"size": "S"}), usd))
    refused(exc, "CAT-3", "currencies")


def test_product_looks_up_its_skus() -> None:
    # RULES: CAT-3
    p = product(skus=(sku("a", attributes={"n": "1"}), sku("b", attributes={"n": "2"})))
    assert p.sku("b").id == "b"
    with pytest.raises(NotFound) as exc:
        p.sku("zz")
    assert exc.value.rule == "CAT-3"
    assert p.with_sku(attrs.evolve(p.sku("b"), stock=5)).sku("b").stock == 5
    with pytest.raises(NotFound):
        p.with_sku(sku("zz"))


# --- PTS-1 points coefficient ------------------------------------------------------


def test_sku_coefficient_overrides_the_products_and_points_drop_fractions() -> None:
    # RULES: CAT-3, PTS-1
    plain = sku("a", price="19.99", attributes={"n": "1"})
    own = sku("b", price="19.99", attributes={"n": "2"}, points_coefficient=Decimal("2"))
    p = product(skus=(plain, own), points_coefficient=Decimal("1"))
    assert p.coefficient_for(plain) == Decimal("1")
    assert p.coefficient_for(own) == Decimal("2")
    assert p.list_points(plain) == 19  # 19.99 × 1, fraction dropped
    assert p.list_points(own, 3) == 119  # 19.99 × 2 × 3 = 119.94
    assert product().list_points(sku()) == 0  # coefficient defaults to 0


# --- ORD-9 stock strategy, CAT-4 shelf, CAT-6 pin ------------------------------------


def test_stock_strategy_is_chosen_per_product() -> None:
    # RULES: ORD-9
    assert product().stock_strategy is StockStrategy.AT_ORDER
    assert product(stock_strategy=StockStrategy.AT_PAYMENT).stock_strategy is (
        StockStrategy.AT_PAYMENT
    )
    with pytest.raises(InvalidInput) as exc:
        product(stock_strategy="at_payment")
    refused(exc, "ORD-9", "stock strategy")


def test_products_start_off_shelf_and_shelf_state_is_a_bool() -> None:
    # RULES: CAT-4
    assert product().on_shelf is False
    with pytest.raises(InvalidInput) as exc:
        product(on_shelf="yes")
    refused(exc, "CAT-4", "shelf")


def test_pin_is_a_non_negative_position() -> None:
    # RULES: CAT-6
    assert product(pin=3).pin == 3
    with pytest.raises(InvalidInput) as exc:
        product(pin=-1)
    refused(exc, "CAT-6", "pin")


# --- immutability ------------------------------------------------------------------


def test_products_are_frozen_and_edits_are_revalidated() -> None:
    # RULES: CAT-2
    p = product()
    with pytest.raises(FrozenInstanceError):
        p.name = "x"  # type: ignore[misc]
    assert attrs.evolve(p, name="Black tea").name == "Black tea"
    with pytest.raises(InvalidInput) as exc:
        attrs.evolve(p, name="x" * 101)
    refused(exc, "CAT-2", "name")
