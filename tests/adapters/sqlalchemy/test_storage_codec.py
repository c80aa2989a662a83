"""Documents: every aggregate state round-trips exactly; what is not storable is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moneyed import Money
from orders_helpers import Shop, _order_state

from mallcore.errors import InvalidInput
from mallcore.orders.aftersales import AfterSaleKind
from mallcore_adapters.sqlalchemy import codec


def test_orders_in_every_state_round_trip() -> None:
    # RULES: ORD-1
    shop = Shop()
    numbers = [shop.place([("tea", 1)]), shop.paid_order(), shop.shipped_order(),
               shop.completed_order()]
    refunded = shop.paid_order()
    shop.refund_only(refunded, {"tea": 1})
    numbers.append(refunded)
    returned = shop.completed_order()
    shop.apply(returned, AfterSaleKind.RETURN_AND_REFUND, {"tea": 1})
    numbers.append(returned)
    for number in numbers:
        order = shop.order(number)
        text = codec.dumps(order)
        back = codec.loads(text)
        assert _order_state(back) == _order_state(order)
        assert codec.dumps(back) == text
        assert back.payable_fen == order.payable_fen and back.paid_fen == order.paid_fen


def test_inventory_and_points_round_trip_with_a_fresh_lock() -> None:
    shop = Shop()
    shop.paid_order()
    inventory = codec.loads(codec.dumps(shop.uow.inventory))
    assert inventory.movements == shop.uow.inventory.movements
    assert inventory._lock is not shop.uow.inventory._lock
    inventory.reserve("again", [("tea", 1)])  # the copy works on its own
    account = codec.loads(codec.dumps(shop.uow.points.get("c1")))
    assert account.entries == shop.uow.points.get("c1").entries


@pytest.mark.parametrize("value", [1.5, object(), Shop, lambda: 1])
def test_what_is_not_a_storable_kind_is_refused(value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        codec.dumps({"x": value})
    assert "stor" in str(caught.value)


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        codec.dumps(datetime(2026, 1, 1))


def test_a_document_naming_a_foreign_class_is_refused() -> None:
    with pytest.raises(InvalidInput, match="only mallcore classes"):
        codec.loads('{"$":"object","c":"os:PathLike","v":{}}')


zones = st.sampled_from([UTC, ZoneInfo("Asia/Shanghai"), timezone(timedelta(hours=-5))])
leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=8),
    st.datetimes(timezones=zones), st.dates(), st.times(),
    st.timedeltas(), st.decimals(allow_nan=False, allow_infinity=False),
    st.builds(lambda fen: Money(Decimal(fen) / 100, "CNY"), st.integers(-10**9, 10**9)),
)
values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner),
    st.frozensets(st.integers() | st.text(max_size=4), max_size=4),
    st.dictionaries(st.text(max_size=4) | st.integers(), inner, max_size=4),
), max_leaves=12)


@given(values)
def test_plain_values_round_trip(value: object) -> None:
    back = codec.loads(codec.dumps(value))
    assert back == value
    assert type(back) is type(value)
    if isinstance(value, datetime):
        assert back.utcoffset() == value.utcoffset()


def test_a_zone_keeps_its_name() -> None:
    when = datetime(2026, 11, 11, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert codec.loads(codec.dumps(when)).tzinfo == ZoneInfo("Asia/Shanghai")
    assert codec.loads(codec.dumps(time(8, 0))) == time(8, 0)
    assert codec.loads(codec.dumps(date(2026, 2, 28))) == date(2026, 2, 28)
