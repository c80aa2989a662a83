"""The Catalog: uniqueness across products, the SKU index, shelf state, low stock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mallcore.catalog import Catalog, Product, Sku
from mallcore.errors import InvalidInput, NotFound
from mallcore.money import money


def make(pid: str, *sku_ids: str, slug: str | None = None, **kw: object) -> Product:
    skus = tuple(
        Sku(id=s, price=money("10.00"), attributes={"n": str(i)})
        for i, s in enumerate(sku_ids or (f"{pid}-s",))
    )
    fields: dict[str, object] = {"id": pid, "name": f"Product {pid}", "skus": skus}
    if slug is not None:
        fields["slug"] = slug
    fields.update(kw)
    return Product(**fields)  # type: ignore[arg-type]


def snapshot(catalog: Catalog) -> list[Product]:
    return list(catalog.products())


def test_add_get_and_find_sku() -> None:
    # RULES: CAT-3
    catalog = Catalog()
    tea = catalog.add(make("tea", "tea-s", "tea-l"))
    assert catalog.get("tea") is tea
    assert "tea" in catalog and len(catalog) == 1
    assert catalog.find_sku("tea-l") == (tea, tea.sku("tea-l"))
    assert catalog.by_slug("product-tea") is tea


def test_unknown_product_sku_or_slug_is_not_found() -> None:
    # RULES: CAT-2, CAT-3
    catalog = Catalog([make("tea")])
    with pytest.raises(NotFound) as exc:
        catalog.get("coffee")
    assert exc.value.rule == "CAT-2" and "coffee" in str(exc.value)
    with pytest.raises(NotFound) as exc:
        catalog.find_sku("nope")
    assert exc.value.rule == "CAT-3" and "nope" in str(exc.value)
    with pytest.raises(NotFound):
        catalog.by_slug("nope")


def test_duplicate_slug_is_refused_naming_the_clashing_product() -> None:
    # RULES: CAT-2
    catalog = Catalog([make("tea", slug="tea")])
    before = snapshot(catalog)
    with pytest.raises(InvalidInput) as exc:
        catalog.add(make("tea2", slug="tea"))
    assert exc.value.rule == "CAT-2"
    assert "slug 'tea'" in str(exc.value) and "product 'tea'" in str(exc.value)
    assert snapshot(catalog) == before
    with pytest.raises(NotFound):
        catalog.find_sku("tea2-s")


def test_duplicate_product_id_is_refused() -> None:
    # RULES: CAT-2
    catalog = Catalog([make("tea", slug="tea")])
    with pytest.raises(InvalidInput) as exc:
        catalog.add(make("tea", slug="other"))
    assert exc.value.rule == "CAT-2" and "'tea'" in str(exc.value)
    assert catalog.get("tea").slug == "tea"


def test_sku_ids_are_unique_across_the_catalogue() -> None:
    # RULES: CAT-3
    catalog = Catalog([make("tea", "s1")])
    with pytest.raises(InvalidInput) as exc:
        catalog.add(make("coffee", "s2", "s1"))
    assert exc.value.rule == "CAT-3"
    assert "SKU 's1'" in str(exc.value) and "product 'tea'" in str(exc.value)
    assert len(catalog) == 1
    with pytest.raises(NotFound):
        catalog.find_sku("s2")


def test_replace_updates_the_sku_index_and_keeps_the_position() -> None:
    # RULES: CAT-3
    catalog = Catalog([make("a", "a1", "a2"), make("b", "b1")])
    new_a = make("a", "a2", "a3", slug="renamed")
    previous = catalog.replace(new_a)
    assert previous.slug == "product-a"
    assert [p.id for p in catalog.products()] == ["a", "b"]
    assert catalog.find_sku("a3") == (new_a, new_a.sku("a3"))
    assert catalog.find_sku("a2")[0] is new_a
    with pytest.raises(NotFound):
        catalog.find_sku("a1")
    with pytest.raises(NotFound):
        catalog.by_slug("product-a")
    assert catalog.by_slug("renamed") is new_a


def test_replace_with_a_taken_slug_or_sku_changes_nothing() -> None:
    # RULES: CAT-2, CAT-3
    catalog = Catalog([make("a", "a1", slug="a"), make("b", "b1", slug="b")])
    before = snapshot(catalog)
    with pytest.raises(InvalidInput) as exc:
        catalog.replace(make("a", "a1", slug="b"))
    assert exc.value.rule == "CAT-2" and "product 'b'" in str(exc.value)
    with pytest.raises(InvalidInput) as exc:
        catalog.replace(make("a", "b1", slug="a"))
    assert exc.value.rule == "CAT-3" and "product 'b'" in str(exc.value)
    assert snapshot(catalog) == before
    assert catalog.find_sku("a1")[0].id == "a"


def test_replace_of_an_unknown_product_is_not_found() -> None:
    # RULES: CAT-2
    catalog = Catalog()
    with pytest.raises(NotFound):
        catalog.replace(make("ghost"))
    assert len(catalog) == 0


def test_replace_all_lets_two_products_swap_slugs() -> None:
    # RULES: CAT-2
    catalog = Catalog([make("a", slug="x"), make("b", slug="y")])
    catalog.replace_all([make("a", slug="y"), make("b", slug="x")])
    assert catalog.by_slug("x").id == "b"
    assert catalog.by_slug("y").id == "a"


def test_remove_frees_the_slug_and_sku_ids() -> None:
    # RULES: CAT-2, CAT-3
    catalog = Catalog([make("a", "s1", slug="x")])
    catalog.remove("a")
    with pytest.raises(NotFound):
        catalog.find_sku("s1")
    catalog.add(make("b", "s1", slug="x"))
    assert catalog.find_sku("s1")[0].id == "b"


def test_put_on_and_take_off_shelf() -> None:
    # RULES: CAT-4
    catalog = Catalog([make("a"), make("b")])
    catalog.put_on_shelf("a", "b")
    assert all(p.on_shelf for p in catalog.products())
    assert catalog.find_sku("a-s")[0].on_shelf  # the SKU index follows
    catalog.take_off_shelf("b")
    assert [p.id for p in catalog.shelf()] == ["a"]


def test_shelf_change_with_an_unknown_id_changes_nothing() -> None:
    # RULES: CAT-4
    catalog = Catalog([make("a"), make("b")])
    with pytest.raises(NotFound):
        catalog.put_on_shelf("a", "ghost")
    assert not any(p.on_shelf for p in catalog.products())


def test_shelf_lists_pinned_products_first_in_pin_order() -> None:
    # RULES: CAT-6, CAT-4
    catalog = Catalog(
        [
            make("a", on_shelf=True),
            make("b", on_shelf=True, pin=2),
            make("c", on_shelf=True),
            make("d", on_shelf=True, pin=1),
            make("e", on_shelf=False, pin=0),
        ]
    )
    assert [p.id for p in catalog.shelf()] == ["d", "b", "a", "c"]


def test_low_stock_lists_skus_at_or_below_their_alert() -> None:
    # RULES: CAT-3
    low = Sku(id="low", price=money("1"), stock=2, low_stock_alert=2, attributes={"n": "1"})
    fine = Sku(id="fine", price=money("1"), stock=3, low_stock_alert=2, attributes={"n": "2"})
    out = Sku(id="out", price=money("1"), stock=0, low_stock_alert=0)
    catalog = Catalog(
        [
            Product(id="a", name="A", skus=(low, fine)),
            Product(id="b", name="B", skus=(out,)),
        ]
    )
    assert [(p.id, s.id) for p, s in catalog.low_stock()] == [("a", "low"), ("b", "out")]


def test_catalogue_refuses_non_products() -> None:
    # RULES: CAT-2
    with pytest.raises(InvalidInput):
        Catalog().add("tea")  # type: ignore[arg-type]


@given(
    st.lists(
        st.tuples(st.sampled_from("abcdef"), st.lists(st.sampled_from("uvwxyz"), max_size=3)),
        max_size=25,
    )
)
def test_sku_index_always_agrees_with_a_scan(steps: list[tuple[str, list[str]]]) -> None:
    # RULES: CAT-3
    """Random adds and replaces, some refused: the index never drifts from the products."""
    catalog = Catalog()
    for pid, suffixes in steps:
        sku_ids = [f"sku-{s}" for s in dict.fromkeys(suffixes)] or [f"{pid}-own"]
        candidate = make(pid, *sku_ids)
        try:
            if pid in catalog:
                catalog.replace(candidate)
            else:
                catalog.add(candidate)
        except InvalidInput:
            pass
    scan = {s.id: (p, s) for p in catalog.products() for s in p.skus}
    assert sum(len(p.skus) for p in catalog.products()) == len(scan)
    for sku_id, pair in scan.items():
        assert catalog.find_sku(sku_id) == pair
    for suffix in "uvwxyz":
        if f"sku-{suffix}" not in scan:
            with pytest.raises(NotFound):
                catalog.find_sku(f"sku-{suffix}")


def test_product_fields_survive_a_shelf_round_trip() -> None:
    # RULES: CAT-4
    original = make("a", brand="Lipton", categories=("tea",), pin=4)
    catalog = Catalog([original])
    catalog.put_on_shelf("a")
    catalog.take_off_shelf("a")
    assert catalog.get("a") == original


def test_replace_all_refuses_the_same_product_twice() -> None:
    # RULES: CAT-2
    catalog = Catalog([make("a", slug="x")])
    with pytest.raises(InvalidInput) as exc:
        catalog.replace_all([make("a", slug="y"), make("a", slug="z")])
    assert exc.value.rule == "CAT-2" and "twice" in str(exc.value)
    assert catalog.get("a").slug == "x"
