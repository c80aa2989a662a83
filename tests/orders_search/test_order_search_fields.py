"""Each field of the advanced search, their AND, boundaries and refusals (ORD-10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from order_search_builders import CST, NOW, T0, numbers, summary

from mallcore.errors import CurrencyMismatch, InvalidInput
from mallcore.money import Money, money
from mallcore.orders.search import OrderQuery, QuickFilter, run
from mallcore.orders.summary import OrderSummary

DAY = timedelta(days=1)

A = summary(
    "N001",
    activity_types={"reduction"},
    star="red",
)
B = summary(
    "N002",
    status="shipped",
    logistics="shipped",
    placed_at=T0 + DAY,
    paid_at=T0 + DAY,
    total_fen=25000,
    payment_methods={"alipay", "balance"},
    payment_ids={"ali-778", "bal-1"},
    product_types={"physical", "virtual"},
    activity_types={"flash_sale"},
    star="blue",
    phone="+8613912345678",
    consignee="Li Si",
    tracking_numbers={"SF123"},
    product_ids={"P2"},
    product_names={"Tea Set"},
    categories={"ware"},
    brands={"Jingdezhen"},
    sku_ids={"P2-std"},
)
C = summary(
    "N003",
    status="pending_payment",
    placed_at=T0 + 2 * DAY,
    paid_at=None,
    total_fen=999,
    payment_methods=set(),
    payment_ids=set(),
    product_types={"virtual"},
    phone=None,
    consignee=None,
    product_ids={"P3"},
    product_names={"Gift card"},
    categories={"card"},
    brands={"House"},
    sku_ids={"P3-100"},
)
D = summary(
    "N004",
    status="completed",
    logistics="signed",
    placed_at=T0 - 40 * DAY,
    paid_at=T0 - 40 * DAY,
    total_fen=1000,
    payment_methods={"manual"},
    payment_ids=set(),
    activity_types={"discount"},
    star="red",
    phone="13700005678",
    consignee="张三丰",
    tracking_numbers={"YT9", "YT10"},
    product_ids={"P1", "P2"},
    product_names={"Green Tea 绿茶", "Tea Set"},
    categories={"tea", "ware"},
    brands={"Longjing", "Jingdezhen"},
    sku_ids={"P1-500g", "P2-std"},
)
E = summary(
    "N005",
    status="paid",
    logistics="partially_shipped",
    placed_at=T0 + 3 * DAY,
    paid_at=T0 + 3 * DAY + timedelta(hours=1),
    total_fen=10001,
    tracking_numbers={"SF124"},
    refund_requested=True,
)
ORDERS = [A, B, C, D, E]


def found(**fields: Any) -> set[str]:
    return set(numbers(run(OrderQuery(**fields), ORDERS, NOW)))


# RULES: ORD-10
def test_an_empty_query_matches_every_order() -> None:
    assert found() == {"N001", "N002", "N003", "N004", "N005"}


# RULES: ORD-1, ORD-4, ORD-10
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"statuses": {"paid"}}, {"N001", "N005"}),
        ({"statuses": {"pending_payment", "completed"}}, {"N003", "N004"}),
        ({"statuses": {"closed"}}, set()),
        ({"logistics": {"not_shipped"}}, {"N001", "N003"}),
        ({"logistics": {"partially_shipped", "signed"}}, {"N004", "N005"}),
    ],
)
def test_status_and_logistics_fields_match_any_listed_value(
    fields: dict[str, Any], expected: set[str]
) -> None:
    assert found(**fields) == expected


# RULES: ORD-10
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"payment_methods": {"wechat"}}, {"N001", "N005"}),
        ({"payment_methods": {"balance"}}, {"N002"}),  # one of a split payment
        ({"payment_methods": {"manual", "alipay"}}, {"N002", "N004"}),
        ({"product_types": {"virtual"}}, {"N002", "N003"}),
        ({"product_types": {"physical"}}, {"N001", "N002", "N004", "N005"}),
        ({"activity_types": {"reduction", "discount"}}, {"N001", "N004"}),
        ({"activity_types": {"flash_sale"}}, {"N002"}),
        ({"star_colours": {"red"}}, {"N001", "N004"}),
        ({"star_colours": {"blue", "green"}}, {"N002"}),
    ],
)
def test_set_fields_match_when_the_order_shares_a_value(
    fields: dict[str, Any], expected: set[str]
) -> None:
    assert found(**fields) == expected


# RULES: ORD-10
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"payment_id": "ali-778"}, {"N002"}),
        ({"payment_id": "ali-77"}, set()),  # exact, not a prefix
        ({"payment_id": "wx-N001"}, {"N001"}),
        ({"number": "N003"}, {"N003"}),
        ({"number": "n003"}, set()),  # exact, case included
        ({"number": "N00"}, set()),
        ({"product_id": "P2"}, {"N002", "N004"}),
        ({"product_id": "P"}, set()),
        ({"category": "ware"}, {"N002", "N004"}),
        ({"category": "Ware"}, set()),
        ({"brand": "Longjing"}, {"N001", "N004", "N005"}),
        ({"tracking_number": "YT10"}, {"N004"}),
        ({"tracking_number": "YT1"}, set()),
        ({"tracking_number": "SF124"}, {"N005"}),
        ({"sku_id": "P2-std"}, {"N002", "N004"}),
        ({"sku_id": "P2"}, set()),
    ],
)
def test_identifier_fields_match_exactly(fields: dict[str, Any], expected: set[str]) -> None:
    assert found(**fields) == expected


# RULES: ORD-10
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"product_name": "tea"}, {"N001", "N002", "N004", "N005"}),
        ({"product_name": "TEA SET"}, {"N002", "N004"}),
        ({"product_name": "绿茶"}, {"N001", "N004", "N005"}),
        ({"product_name": "gift"}, {"N003"}),
        ({"product_name": "coffee"}, set()),
        ({"consignee": "张三"}, {"N001", "N004", "N005"}),  # 张三丰 contains 张三
        ({"consignee": "三丰"}, {"N004"}),
        ({"consignee": "li"}, {"N002"}),
        ({"consignee": "王"}, set()),
    ],
)
def test_name_fields_match_substrings_ignoring_case(
    fields: dict[str, Any], expected: set[str]
) -> None:
    assert found(**fields) == expected


# RULES: ORD-10
@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("13812345678", {"N001", "N005"}),  # the whole number
        ("5678", {"N001", "N002", "N004", "N005"}),  # last 4 digits
        ("00005678", {"N004"}),
        ("8613912345678", {"N002"}),  # suffix of +8613912345678
        ("13912345678", {"N002"}),
        ("1381234", set()),  # a prefix is not a suffix
        ("1234", set()),
    ],
)
def test_phone_matches_the_number_or_its_last_digits(phone: str, expected: set[str]) -> None:
    assert found(phone=phone) == expected


# RULES: ORD-10
@pytest.mark.parametrize("phone", ["567", "", "138 1234", "+8613812345678", "１３８１２３４"])
def test_phone_shorter_than_4_digits_or_not_digits_is_refused(phone: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        OrderQuery(phone=phone)
    assert caught.value.refused == "phone"
    assert caught.value.rule == "ORD-10"


# RULES: ORD-10
def test_fields_combine_with_and() -> None:
    assert found(statuses={"paid"}, brand="Longjing") == {"N001", "N005"}
    assert found(statuses={"paid"}, brand="Longjing", star_colours={"red"}) == {"N001"}
    assert found(statuses={"paid"}, tracking_number="SF123") == set()
    assert found(product_id="P2", payment_methods={"manual"}) == {"N004"}
    assert found(product_id="P2", payment_methods={"manual"}, placed_from=T0) == set()


# RULES: ORD-10
def test_a_quick_filter_and_fields_combine_with_and() -> None:
    assert found(quick=QuickFilter.STARRED, statuses={"paid"}) == {"N001"}
    assert found(quick=QuickFilter.UNPAID, statuses={"paid"}) == set()
    assert found(quick=QuickFilter.REFUND_REQUESTS, brand="Longjing") == {"N005"}
    assert found(quick=QuickFilter.LAST_3_MONTHS, star_colours={"red"}) == {"N001"}


# --- time boundaries: half-open [from, to) ---------------------------------------


# RULES: ORD-10
def test_placed_time_range_includes_its_start_and_excludes_its_end() -> None:
    assert found(placed_from=T0, placed_to=T0 + DAY) == {"N001"}
    assert found(placed_from=T0 + DAY, placed_to=T0 + 2 * DAY) == {"N002"}  # next day
    assert found(placed_from=T0, placed_to=T0) == set()  # empty interval
    assert found(placed_to=T0) == {"N004"}
    assert found(placed_to=T0 + timedelta(microseconds=1)) == {"N001", "N004"}
    assert found(placed_from=T0 + timedelta(microseconds=1), placed_to=T0 + DAY) == set()


# RULES: ORD-10
def test_consecutive_days_partition_the_orders() -> None:
    days = [T0 - 40 * DAY + n * DAY for n in range(45)]
    seen = [n for d in days for n in found(placed_from=d, placed_to=d + DAY)]
    assert sorted(seen) == ["N001", "N002", "N003", "N004", "N005"]


# RULES: ORD-10
def test_time_bounds_compare_instants_across_time_zones() -> None:
    t0_utc = T0.astimezone(UTC)  # 01:00Z is 09:00+08:00
    assert found(placed_from=t0_utc, placed_to=t0_utc + DAY) == {"N001"}
    assert found(placed_to=t0_utc) == {"N004"}


# RULES: ORD-10
def test_paid_time_range_is_half_open_and_never_matches_unpaid_orders() -> None:
    paid_a = T0 + timedelta(minutes=5)
    assert found(paid_from=paid_a, paid_to=paid_a + timedelta(seconds=1)) == {"N001"}
    assert found(paid_from=paid_a - timedelta(seconds=1), paid_to=paid_a) == set()
    assert found(paid_from=T0 + DAY) == {"N002", "N005"}
    assert "N003" not in found(paid_to=T0 + 10 * DAY)
    assert "N003" not in found(paid_from=T0 - 100 * DAY)
    assert found(paid_to=T0 + 10 * DAY) == {"N001", "N002", "N004", "N005"}


# --- amount boundaries: inclusive --------------------------------------------------


# RULES: ORD-10
def test_total_range_includes_both_ends() -> None:
    assert found(total_min=money("100.00"), total_max=money("100.00")) == {"N001"}
    assert found(total_min=money("100.01")) == {"N002", "N005"}
    assert found(total_max=money("99.99")) == {"N003", "N004"}
    assert found(total_max=money("9.99")) == {"N003"}
    assert found(total_min=money("10"), total_max=money("100.01")) == {"N001", "N004", "N005"}
    assert found(total_min=money(0)) == {"N001", "N002", "N003", "N004", "N005"}


# RULES: ORD-10
def test_total_bounds_are_exposed_in_fen_for_adapters() -> None:
    q = OrderQuery(total_min=money("9.99"), total_max=money("250"))
    assert (q.total_min_fen, q.total_max_fen) == (999, 25000)
    assert OrderQuery().total_min_fen is None


# --- refusals -------------------------------------------------------------------------


NAIVE = datetime(2026, 3, 1, 9, 0)


# RULES: ORD-10
@pytest.mark.parametrize(
    ("fields", "refused"),
    [
        ({"placed_from": NAIVE}, "placed_from"),
        ({"placed_to": NAIVE}, "placed_to"),
        ({"paid_from": NAIVE}, "paid_from"),
        ({"paid_to": NAIVE}, "paid_to"),
        ({"placed_from": T0 + timedelta(seconds=1), "placed_to": T0}, "placed_from"),
        ({"paid_from": T0 + DAY, "paid_to": T0}, "paid_from"),
        ({"placed_from": "2026-03-01"}, "placed_from"),
        ({"total_min": 1.5}, "total_min"),
        ({"total_max": 100.0}, "total_max"),
        ({"total_min": 100}, "total_min"),  # an int is not Money: yuan or fen?
        ({"total_min": "100.00"}, "total_min"),
        ({"total_min": money("-0.01")}, "total_min"),
        ({"total_max": Money(Decimal("1.001"), "CNY")}, "total_max"),
        ({"total_min": money("10.00"), "total_max": money("9.99")}, "total_min"),
        ({"statuses": {"paid", "refunded"}}, "statuses"),
        ({"statuses": {"PAID"}}, "statuses"),
        ({"statuses": "paid"}, "statuses"),  # one text, not a set
        ({"logistics": {"delivered"}}, "logistics"),
        ({"product_types": {"service"}}, "product_types"),
        ({"payment_methods": {""}}, "payment_methods"),
        ({"star_colours": "red"}, "star_colours"),
        ({"number": ""}, "number"),
        ({"number": " N001"}, "number"),
        ({"product_name": "   "}, "product_name"),
        ({"sku_id": 42}, "sku_id"),
        ({"quick": "unpaid"}, "quick"),
        ({"order_by": "price"}, "order_by"),
        ({"order_by": "placed_at desc"}, "order_by"),
        ({"descending": "yes"}, "descending"),
        ({"offset": -1}, "offset"),
        ({"limit": -1}, "limit"),
        ({"limit": 2.0}, "limit"),
        ({"offset": True}, "offset"),
    ],
)
def test_invalid_queries_are_refused_naming_field_and_rule(
    fields: dict[str, Any], refused: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        OrderQuery(**fields)
    assert caught.value.refused == refused
    assert caught.value.rule == "ORD-10"


# RULES: ORD-10
def test_amounts_in_another_currency_are_refused() -> None:
    with pytest.raises(CurrencyMismatch) as caught:
        OrderQuery(total_max=money("10", "USD"))
    assert caught.value.refused == "total_max"
    assert caught.value.rule == "ORD-10"
    assert OrderQuery(total_max=money("10", "USD"), currency="USD").total_max_fen == 1000


# RULES: ORD-10
def test_equal_bounds_are_accepted() -> None:
    assert OrderQuery(placed_from=T0, placed_to=T0).placed_to == T0
    assert OrderQuery(paid_from=T0, paid_to=T0.astimezone(UTC)).paid_from == T0
    assert OrderQuery(total_min=money("5"), total_max=money("5")).total_max_fen == 500


# RULES: ORD-10
def test_a_naive_now_is_refused_even_when_no_field_needs_it() -> None:
    query = OrderQuery(statuses={"paid"})
    with pytest.raises(InvalidInput) as caught:
        query.matches(A, datetime(2026, 5, 31, 12, 0))
    assert caught.value.refused == "now"
    with pytest.raises(InvalidInput):
        run(query, ORDERS, datetime(2026, 5, 31, 12, 0))


# RULES: ORD-10
def test_queries_are_values_and_sets_accept_any_iterable() -> None:
    q1 = OrderQuery(statuses=["paid", "shipped"], placed_from=T0)
    q2 = OrderQuery(statuses=frozenset({"shipped", "paid"}), placed_from=T0.astimezone(CST))
    assert q1 == q2
    assert hash(q1) == hash(q2)
    assert isinstance(q1.statuses, frozenset)


def _only(orders: list[OrderSummary], **fields: Any) -> list[str]:
    return numbers(run(OrderQuery(**fields), orders, NOW))


# RULES: ORD-10
def test_orders_without_optional_values_never_match_filters_on_them() -> None:
    bare = summary(
        "N100",
        star=None,
        phone=None,
        consignee=None,
        paid_at=None,
        status="pending_payment",
        payment_methods=set(),
        product_names=set(),
    )
    assert _only([bare]) == ["N100"]
    for fields in (
        {"star_colours": {"red"}},
        {"phone": "5678"},
        {"consignee": "张"},
        {"paid_from": T0 - 100 * DAY},
        {"payment_methods": {"wechat"}},
        {"product_name": "tea"},
    ):
        assert _only([bare], **fields) == [], fields
