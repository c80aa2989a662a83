"""Shipping, receipt, reviews and batch shipping (ORD-4, ORD-5, ORD-7)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from orders_helpers import START_POINTS, T0, Shop, snapshot

from mallcore.errors import (
    InvalidInput,
    InvalidTransition,
    LimitReached,
    MallcoreError,
    NotAllowed,
    NotFound,
)
from mallcore.orders import events as ev
from mallcore.orders.order import DeliveryMethod, OrderPolicy, ReceiptBy
from mallcore.orders.status import CloseReason, LogisticsStatus, OrderStatus
from mallcore.services import orders as svc

LATER = T0 + timedelta(hours=1)


# ====================================================================== ORD-4
@pytest.mark.parametrize(("carrier", "tracking"), [(None, "SF12345678"), ("SF", None),
                                                   ("", "SF12345678"), ("SF", ""), (None, None)])
def test_express_needs_a_carrier_and_a_tracking_number(carrier: str | None,
                                                       tracking: str | None) -> None:
    # RULES: ORD-4
    shop = Shop()
    number = shop.paid_order()
    before = snapshot(shop.uow)
    with pytest.raises(InvalidInput) as caught:
        svc.ship_order(shop.uow, shop.numbers, number, now=T0, carrier=carrier,
                       tracking_number=tracking)
    assert caught.value.rule == "ORD-4"
    assert snapshot(shop.uow) == before


@pytest.mark.parametrize("method", [DeliveryMethod.SELF_DELIVERY, DeliveryMethod.PICKUP])
def test_self_delivery_and_pickup_need_no_tracking(method: DeliveryMethod) -> None:
    # RULES: ORD-4
    shop = Shop()
    number = shop.paid_order()
    svc.ship_order(shop.uow, shop.numbers, number, now=T0, method=method)
    order = shop.order(number)
    assert order.status is OrderStatus.SHIPPED
    (shipment,) = order.shipments
    assert (shipment.method, shipment.carrier, shipment.tracking_number) == (method, None, None)


def test_express_shipment_keeps_its_waybill() -> None:
    # RULES: ORD-4
    shop = Shop()
    number = shop.paid_order()
    shop.ship(number, carrier="ZTO", tracking="ZT7788990011", now=LATER)
    (shipment,) = shop.order(number).shipments
    assert (shipment.carrier, shipment.tracking_number, shipment.at) == (
        "ZTO", "ZT7788990011", LATER)


def test_lines_may_ship_in_several_waybills() -> None:
    # RULES: ORD-4
    shop = Shop()
    number = shop.paid_order([("tea", 3), ("pot", 1)])
    order = shop.order(number)
    assert order.logistics is LogisticsStatus.NOT_SHIPPED
    shop.ship(number, lines={"tea": 1})
    order = shop.order(number)
    assert order.status is OrderStatus.PAID  # still awaiting shipment of the rest
    assert order.logistics is LogisticsStatus.PARTIALLY_SHIPPED
    shop.ship(number, lines={"tea": 2}, method=DeliveryMethod.SELF_DELIVERY)
    assert shop.order(number).logistics is LogisticsStatus.PARTIALLY_SHIPPED
    shop.ship(number, lines={"pot": 1}, carrier="JD", tracking="JD0001112223")
    order = shop.order(number)
    assert order.status is OrderStatus.SHIPPED
    assert order.logistics is LogisticsStatus.SHIPPED
    assert len(order.shipments) == 3
    assert order.shipped_quantities() == {"tea": 3, "pot": 1}
    svc.mark_signed(shop.uow, number, now=LATER)
    assert shop.order(number).logistics is LogisticsStatus.SIGNED
    assert shop.order(number).signed_at == LATER


def test_shipping_without_lines_ships_what_is_left() -> None:
    # RULES: ORD-4
    shop = Shop()
    number = shop.paid_order([("tea", 3), ("pot", 1)])
    shop.ship(number, lines={"tea": 2})
    shop.ship(number)
    order = shop.order(number)
    assert dict(order.shipments[-1].lines) == {"tea": 1, "pot": 1}
    assert order.status is OrderStatus.SHIPPED


@pytest.mark.parametrize(("lines", "error"), [
    ({"tea": 3}, NotAllowed),  # more than left
    ({"tea": 0}, NotAllowed),
    ({"cup": 1}, NotFound),  # not in the order
    ({"card": 1}, NotFound),  # virtual: nothing to ship
])
def test_shipping_more_than_is_left_or_another_line_is_refused(
    lines: dict[str, int], error: type[Exception]
) -> None:
    # RULES: ORD-4
    shop = Shop()
    number = shop.paid_order([("tea", 2), ("card", 1)])
    before = snapshot(shop.uow)
    with pytest.raises(error):
        shop.ship(number, lines=lines)
    assert snapshot(shop.uow) == before


def test_virtual_lines_need_no_shipping() -> None:
    # RULES: ORD-4, CAT-1
    shop = Shop()
    number = shop.paid_order([("tea", 1), ("card", 2)])
    shop.ship(number)
    order = shop.order(number)
    assert order.status is OrderStatus.SHIPPED
    assert dict(order.shipments[0].lines) == {"tea": 1}


def test_shipping_an_order_with_nothing_left_is_refused() -> None:
    # RULES: ORD-4, ORD-1
    shop = Shop()
    number = shop.shipped_order()
    with pytest.raises(InvalidTransition):
        shop.ship(number)


# ====================================================================== ORD-5
def test_buyer_confirms_receipt_and_earned_points_are_granted() -> None:
    # RULES: ORD-5, PTS-1
    shop = Shop()
    number = shop.shipped_order([("tea", 1)], earned={"tea": 50})
    assert shop.points() == START_POINTS  # nothing earned before completion
    shop.confirm(number, now=LATER)
    order = shop.order(number)
    assert order.status is OrderStatus.COMPLETED
    assert order.completed_at == LATER
    assert shop.points(now=LATER) == START_POINTS + 50
    assert [e.confirmed_by for e in shop.events(ev.OrderCompleted)] == ["buyer"]


def test_merchant_confirms_receipt_when_the_buyer_does_not() -> None:
    # RULES: ORD-5
    shop = Shop()
    number = shop.shipped_order()
    shop.confirm(number, by=ReceiptBy.MERCHANT, now=LATER)
    assert shop.order(number).status is OrderStatus.COMPLETED
    assert [e.confirmed_by for e in shop.events(ev.OrderCompleted)] == ["merchant"]


def test_auto_confirm_after_the_configured_days_only() -> None:
    # RULES: ORD-5
    shop = Shop()
    default = shop.shipped_order()
    quick = shop.paid_order(policy=OrderPolicy(auto_confirm_days=3))
    shipped_at = T0 + timedelta(days=1)
    shop.ship(quick, now=shipped_at)
    assert svc.auto_confirm_due(shop.uow, T0 + timedelta(days=3, hours=23)) == []
    assert svc.auto_confirm_due(shop.uow, shipped_at + timedelta(days=3)) == [quick]
    assert shop.order(default).status is OrderStatus.SHIPPED
    assert svc.auto_confirm_due(shop.uow, T0 + timedelta(days=7) - timedelta(seconds=1)) == []
    assert svc.auto_confirm_due(shop.uow, T0 + timedelta(days=7), shop.publisher) == [default]
    assert shop.order(default).status is OrderStatus.COMPLETED
    assert [e.confirmed_by for e in shop.events(ev.OrderCompleted)] == ["auto"]


def test_auto_confirm_counts_from_the_last_waybill() -> None:
    # RULES: ORD-5, ORD-4
    shop = Shop()
    number = shop.paid_order([("tea", 2)])
    shop.ship(number, lines={"tea": 1}, now=T0)
    shop.ship(number, lines={"tea": 1}, now=T0 + timedelta(days=2))
    assert svc.auto_confirm_due(shop.uow, T0 + timedelta(days=8)) == []
    assert svc.auto_confirm_due(shop.uow, T0 + timedelta(days=9)) == [number]


def test_auto_confirming_early_is_refused() -> None:
    # RULES: ORD-5
    shop = Shop()
    number = shop.shipped_order()
    before = snapshot(shop.uow)
    with pytest.raises(NotAllowed):
        shop.confirm(number, by=ReceiptBy.AUTO, now=T0 + timedelta(days=6))
    assert snapshot(shop.uow) == before


def test_a_partially_shipped_order_is_not_auto_confirmed() -> None:
    # RULES: ORD-5, ORD-4
    shop = Shop()
    number = shop.paid_order([("tea", 2)])
    shop.ship(number, lines={"tea": 1})
    assert svc.auto_confirm_due(shop.uow, T0 + timedelta(days=30)) == []
    with pytest.raises(InvalidTransition):
        shop.confirm(number)


def test_reviews_only_on_completed_orders_once_rated_1_to_5() -> None:
    # RULES: ORD-5
    shop = Shop()
    number = shop.shipped_order()
    order = shop.order(number)
    with pytest.raises(InvalidTransition) as caught:
        order.add_review(5, "fast", LATER)
    assert caught.value.status == "shipped" and "review" in caught.value.action
    shop.confirm(number)
    order = shop.order(number)
    for bad in (0, 6):
        with pytest.raises(InvalidInput):
            order.add_review(bad, "?", LATER)
    review = order.add_review(4, "good tea", LATER)
    assert (review.rating, review.text, review.at) == (4, "good tea", LATER)
    with pytest.raises(NotAllowed):
        order.add_review(5, "again", LATER)


# ====================================================================== ORD-7
def test_batch_shipping_applies_good_rows_and_reports_bad_ones() -> None:
    # RULES: ORD-7, ORD-4
    shop = Shop()
    good = shop.paid_order([("tea", 1)])
    other = shop.paid_order([("pot", 1)])
    shipped = shop.shipped_order([("tea", 1)])
    unpaid = shop.place([("tea", 1)])
    bad_carrier = shop.paid_order([("tea", 1)])
    text = "\n".join([
        "order_number,carrier,tracking_number",
        f"{good},SF,SF1000000001",
        "O999999,SF,SF1000000002",
        f"{shipped},ZTO,ZT1000000003",
        f"{bad_carrier},Pigeon Post,PP1000000004",
        f"{unpaid},SF,SF1000000005",
        f"{other},顺丰,SF1000000006",
    ])
    report = svc.batch_ship(shop.uow, shop.numbers, text, now=LATER, publisher=shop.publisher)
    assert (report.shipped, report.failed) == (2, 4)
    reasons = {row.order_number: (row.ok, row.reason) for row in report.rows}
    assert reasons[good] == (True, None)
    assert reasons[other] == (True, None)
    assert reasons["O999999"] == (False, "unknown order")
    assert reasons[shipped] == (False, "already shipped")
    assert reasons[bad_carrier] == (False, "unknown carrier")
    assert reasons[unpaid][0] is False
    for number, tracking in ((good, "SF1000000001"), (other, "SF1000000006")):
        order = shop.order(number)
        assert order.status is OrderStatus.SHIPPED
        assert (order.shipments[0].carrier, order.shipments[0].tracking_number) == (
            "SF", tracking)
    assert shop.order(bad_carrier).status is OrderStatus.PAID
    assert shop.order(unpaid).status is OrderStatus.PENDING_PAYMENT
    assert len(shop.order(shipped).shipments) == 1
    shipped_events = shop.events(ev.OrderShipped)
    assert sorted(e.order_number for e in shipped_events[-2:]) == sorted([good, other])


def test_batch_shipping_refuses_a_closed_order_row() -> None:
    # RULES: ORD-7
    shop = Shop()
    closed = shop.place([("tea", 1)])
    svc.close_unpaid(shop.uow, closed, reason=CloseReason.BUYER_CANCEL, now=T0)
    report = svc.batch_ship(shop.uow, shop.numbers,
                            f"订单编号,物流公司,运单号\n{closed},SF,SF2000000001", now=LATER)
    assert (report.shipped, report.failed) == (0, 1)
    assert shop.order(closed).status is OrderStatus.CLOSED


def test_a_batch_of_more_than_1000_rows_is_refused_whole() -> None:
    # RULES: ORD-7
    shop = Shop()
    good = shop.paid_order([("tea", 1)])
    rows = [f"{good},SF,SF{9_000_000_000 + i}" for i in range(1001)]
    before = snapshot(shop.uow)
    with pytest.raises(LimitReached):
        svc.batch_ship(shop.uow, shop.numbers, "\n".join(["order_number,carrier,tracking_number",
                                                          *rows]), now=LATER)
    assert snapshot(shop.uow) == before


@pytest.mark.parametrize("quantity", [0.5, 1.0, True])
def test_shipped_quantities_are_whole_units(quantity: object) -> None:
    # RULES: ORD-4 (a waybill carries whole units of a line)
    shop = Shop()
    number = shop.paid_order([("tea", 2)])
    before = snapshot(shop.uow)
    with pytest.raises(MallcoreError):
        shop.ship(number, lines={"tea": quantity},  # type: ignore[dict-item]
                  method=DeliveryMethod.PICKUP)
    assert snapshot(shop.uow) == before
