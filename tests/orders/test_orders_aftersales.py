"""After-sales applications and their flows (AS-1 kinds, AS-2 amounts, AS-3 decisions,
AS-4 exchanges)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from orders_helpers import T0, Shop, assert_refused_transition, check_order_amounts, snapshot

from mallcore.errors import InvalidInput, InvalidTransition, LimitReached, NotAllowed, NotFound
from mallcore.orders import events as ev
from mallcore.orders.aftersales import AfterSaleKind, AfterSaleStatus
from mallcore.orders.payments import PaymentMethod
from mallcore.orders.refunds import RefundStatus
from mallcore.orders.status import OrderStatus
from mallcore.services import orders as svc

LATER = T0 + timedelta(hours=1)
K = AfterSaleKind
A = AfterSaleStatus


def _in(shop: Shop, status: OrderStatus) -> str:
    if status is OrderStatus.PAID:
        return shop.paid_order()
    if status is OrderStatus.SHIPPED:
        return shop.shipped_order()
    return shop.completed_order()


# ====================================================================== AS-1
@pytest.mark.parametrize(("status", "kind", "allowed"), [
    (OrderStatus.PAID, K.REFUND_ONLY, True),
    (OrderStatus.PAID, K.RETURN_AND_REFUND, False),
    (OrderStatus.PAID, K.EXCHANGE, False),
    (OrderStatus.SHIPPED, K.REFUND_ONLY, True),
    (OrderStatus.SHIPPED, K.RETURN_AND_REFUND, False),  # not received yet
    (OrderStatus.SHIPPED, K.EXCHANGE, False),  # no exchange while awaiting receipt
    (OrderStatus.COMPLETED, K.REFUND_ONLY, True),
    (OrderStatus.COMPLETED, K.RETURN_AND_REFUND, True),
    (OrderStatus.COMPLETED, K.EXCHANGE, True),
])
def test_after_sale_kinds_allowed_per_status(status: OrderStatus, kind: AfterSaleKind,
                                             allowed: bool) -> None:
    # RULES: AS-1
    shop = Shop()
    number = _in(shop, status)
    fen = 0 if kind is K.EXCHANGE else 1000
    if allowed:
        case = shop.apply(number, kind, {"tea": 1}, fen)
        assert shop.order(number).after_sale(case).status is A.REQUESTED
        return
    before = snapshot(shop.uow)
    with pytest.raises(InvalidTransition) as caught:
        shop.apply(number, kind, {"tea": 1}, fen)
    assert_refused_transition(caught.value, f"apply for {kind.value}", status, number)
    assert caught.value.rule == "AS-1"
    assert snapshot(shop.uow) == before


# ====================================================================== AS-2
@pytest.mark.parametrize(("reason", "items", "fen"), [
    ("", {"tea": 1}, 100),
    ("   ", {"tea": 1}, 100),
    ("broken", {}, 100),
    ("broken", {"tea": 1}, 0),
    ("broken", {"tea": 1}, -100),
    ("broken", {"tea": 0}, 100),
    ("broken", {"tea": 1}, True),
])
def test_an_application_names_kind_reason_items_and_amount(reason: str, items: dict[str, int],
                                                           fen: int) -> None:
    # RULES: AS-2
    shop = Shop()
    number = shop.completed_order()
    before = snapshot(shop.uow)
    with pytest.raises(InvalidInput):
        svc.apply_after_sale(shop.uow, shop.numbers, number, kind=K.REFUND_ONLY, reason=reason,
                             items=items, fen=fen, now=LATER)
    assert snapshot(shop.uow) == before


def test_an_application_for_an_unknown_line_is_refused() -> None:
    # RULES: AS-2
    shop = Shop()
    number = shop.completed_order()
    with pytest.raises(NotFound):
        shop.apply(number, K.REFUND_ONLY, {"cup": 1}, 100)


def test_the_amount_is_capped_by_what_was_paid_for_those_items() -> None:
    # RULES: AS-2
    shop = Shop()
    number = shop.completed_order([("tea", 3)], shipping="5.00")  # 150.00 + 5.00
    order = shop.order(number)
    assert order.refundable_for({"tea": 1}) == {"tea": 5000}
    assert order.refundable_for({"tea": 3}) == {"tea": 15000}  # shipping is not an item
    before = snapshot(shop.uow)
    with pytest.raises(LimitReached) as caught:
        shop.apply(number, K.REFUND_ONLY, {"tea": 1}, 5001)
    assert caught.value.rule == "AS-2"
    assert snapshot(shop.uow) == before
    case = shop.apply(number, K.REFUND_ONLY, {"tea": 1}, 5000)
    assert shop.order(number).after_sale(case).fen == 5000


def test_units_of_a_line_share_its_amount_to_the_fen() -> None:
    # RULES: AS-2, PIPE-3
    shop = Shop()
    number = shop.completed_order([("tea", 3)], shipping="0")
    refunds = []
    for _ in range(3):
        refunds.append(shop.order(number).refundable_for({"tea": 1})["tea"])
        shop.refund_only(number, {"tea": 1}, refunds[-1])
    assert refunds == [5000, 5000, 5000]
    assert shop.order(number).refunded_of_line("tea") == 15000


def test_odd_amounts_split_over_units_never_pass_the_line() -> None:
    # RULES: AS-2, PIPE-3
    shop = Shop()
    number = shop.place([("tea", 3)], shipping="0")
    svc.adjust_price(shop.uow, number, goods_delta=-1, now=T0, by="clerk", reason="odd")
    shop.pay(number)
    shop.ship(number)
    shop.confirm(number)
    worth = []
    for _ in range(3):
        worth.append(shop.order(number).refundable_for({"tea": 1})["tea"])
        shop.refund_only(number, {"tea": 1}, worth[-1])
    assert worth == [4999, 5000, 5000]
    assert sum(worth) == 14999 == shop.order(number).due["tea"]


def test_the_cap_shrinks_by_what_was_already_refunded() -> None:
    # RULES: AS-2
    shop = Shop()
    number = shop.completed_order([("tea", 2)])
    shop.refund_only(number, {"tea": 1}, 1200)  # agreed partial refund for one unit
    order = shop.order(number)
    assert order.refundable_for({"tea": 1}) == {"tea": 10000 - 1200}
    with pytest.raises(LimitReached):
        shop.apply(number, K.REFUND_ONLY, {"tea": 1}, 10000 - 1200 + 1)
    shop.refund_only(number, {"tea": 1}, 10000 - 1200)
    assert shop.order(number).refunded_of_line("tea") == 10000


def test_no_more_units_than_the_line_has() -> None:
    # RULES: AS-2
    shop = Shop()
    number = shop.completed_order([("tea", 2)])
    with pytest.raises(LimitReached):
        shop.apply(number, K.REFUND_ONLY, {"tea": 3}, 100)
    shop.refund_only(number, {"tea": 2}, 100)
    with pytest.raises(LimitReached):
        shop.apply(number, K.REFUND_ONLY, {"tea": 1}, 100)


def test_one_open_application_per_item() -> None:
    # RULES: AS-2
    shop = Shop()
    number = shop.completed_order()
    shop.apply(number, K.RETURN_AND_REFUND, {"tea": 1}, 100)
    with pytest.raises(NotAllowed):
        shop.apply(number, K.REFUND_ONLY, {"tea": 1}, 100)
    shop.apply(number, K.REFUND_ONLY, {"pot": 1}, 100)  # another line is fine


def test_an_exchange_asks_for_no_money() -> None:
    # RULES: AS-2, AS-4
    shop = Shop()
    number = shop.completed_order()
    with pytest.raises(InvalidInput):
        shop.apply(number, K.EXCHANGE, {"tea": 1}, 500)
    with pytest.raises(InvalidInput):
        shop.apply(number, K.EXCHANGE, {"tea": 3}, 0)
    case = shop.apply(number, K.EXCHANGE, {"tea": 1}, 0, now=LATER)
    assert shop.order(number).after_sale(case).fen == 0


def test_an_application_is_recorded_with_an_event() -> None:
    # RULES: AS-2
    shop = Shop()
    number = shop.completed_order()
    case = shop.apply(number, K.REFUND_ONLY, {"tea": 1, "pot": 1}, 2500, now=LATER,
                      reason="late delivery")
    recorded = shop.order(number).after_sale(case)
    assert (recorded.kind, recorded.reason, recorded.items, recorded.fen, recorded.requested_at) \
        == (K.REFUND_ONLY, "late delivery", (("pot", 1), ("tea", 1)), 2500, LATER)
    (event,) = shop.events(ev.AfterSaleRequested)
    assert (event.after_sale_id, event.kind, event.fen) == (case, "refund_only", 2500)


# ====================================================================== AS-3
def test_a_rejection_needs_a_reason_and_the_buyer_may_apply_again() -> None:
    # RULES: AS-3
    shop = Shop()
    number = shop.completed_order()
    case = shop.apply(number, K.RETURN_AND_REFUND, {"tea": 1})
    with pytest.raises(InvalidInput):
        svc.reject_after_sale(shop.uow, number, case, reason=" ", now=LATER)
    svc.reject_after_sale(shop.uow, number, case, reason="no photo of the damage", now=LATER,
                          publisher=shop.publisher)
    rejected = shop.order(number).after_sale(case)
    assert (rejected.status, rejected.reject_reason) == (A.REJECTED, "no photo of the damage")
    decided = shop.events(ev.AfterSaleDecided)
    assert [(e.decision, e.reason) for e in decided] == [("rejected", "no photo of the damage")]
    # a rejected application can go nowhere else
    with pytest.raises(InvalidTransition) as caught:
        svc.approve_return(shop.uow, number, case, now=LATER)
    assert caught.value.status == "rejected"
    # the buyer applies again, for the same items and the whole amount
    again = shop.apply(number, K.RETURN_AND_REFUND, {"tea": 1}, now=LATER)
    assert shop.order(number).after_sale(again).fen == 5000
    assert again != case


def test_return_and_refund_flow_restocks_and_refunds_online() -> None:
    # RULES: AS-3, AS-5
    shop = Shop()
    number = shop.completed_order([("tea", 2), ("pot", 1)])
    assert shop.level("tea").sold == 2
    case = shop.apply(number, K.RETURN_AND_REFUND, {"tea": 1})
    svc.approve_return(shop.uow, number, case, now=LATER)
    assert shop.order(number).after_sale(case).status is A.AWAITING_RETURN
    with pytest.raises(InvalidInput):  # the buyer ships back with carrier + tracking
        svc.record_return_shipment(shop.uow, number, case, carrier="SF", tracking_number="",
                                   now=LATER)
    svc.record_return_shipment(shop.uow, number, case, carrier="YTO",
                               tracking_number="YT5566778899", now=LATER)
    shipped_back = shop.order(number).after_sale(case)
    assert (shipped_back.status, shipped_back.return_carrier, shipped_back.return_tracking) == (
        A.RETURN_SHIPPED, "YTO", "YT5566778899")
    with pytest.raises(InvalidTransition):  # no refund before the return arrives
        svc.refund_after_sale(shop.uow, shop.numbers, number, case, now=LATER)
    svc.receive_return(shop.uow, number, case, now=LATER)
    assert shop.order(number).after_sale(case).status is A.RETURN_RECEIVED
    tea = shop.level("tea")
    assert (tea.available, tea.sold) == (9, 1)  # back on sale
    made = svc.refund_after_sale(shop.uow, shop.numbers, number, case, now=LATER)
    order = shop.order(number)
    assert order.after_sale(case).status is A.REFUNDING
    assert order.after_sale(case).refund_number == made
    refund = order.refund(made)
    assert (refund.fen, refund.status, refund.after_sale_id) == (5000, RefundStatus.PENDING, case)
    assert refund.lines == (("tea", 5000),)
    svc.refund_result(shop.uow, number, made, PaymentMethod.WECHAT, ok=True, now=LATER)
    assert shop.order(number).after_sale(case).status is A.REFUNDED
    assert shop.order(number).status is OrderStatus.COMPLETED  # a partial refund
    check_order_amounts(shop.order(number))


def test_refund_only_needs_no_return() -> None:
    # RULES: AS-3
    shop = Shop()
    number = shop.shipped_order()
    case = shop.apply(number, K.REFUND_ONLY, {"pot": 1}, 2000)
    with pytest.raises(NotAllowed):
        svc.approve_return(shop.uow, number, case, now=LATER)
    made = svc.refund_after_sale(shop.uow, shop.numbers, number, case, now=LATER)
    assert shop.order(number).refund(made).fen == 2000
    assert shop.level("pot").sold == 1  # nothing came back
    with pytest.raises(InvalidTransition):  # refunded once
        svc.refund_after_sale(shop.uow, shop.numbers, number, case, now=LATER)


def test_a_manual_offline_refund_is_recorded_as_offline() -> None:
    # RULES: AS-3, AS-5
    shop = Shop()
    number = shop.completed_order()
    case = shop.apply(number, K.RETURN_AND_REFUND, {"tea": 1})
    svc.approve_return(shop.uow, number, case, now=LATER)
    svc.record_return_shipment(shop.uow, number, case, carrier="SF",
                               tracking_number="SF0000000001", now=LATER)
    svc.receive_return(shop.uow, number, case, now=LATER)
    made = svc.refund_after_sale(shop.uow, shop.numbers, number, case, now=LATER, offline=True,
                                 publisher=shop.publisher)
    order = shop.order(number)
    refund = order.refund(made)
    assert [(leg.method, leg.offline, leg.status) for leg in refund.legs] == [
        (PaymentMethod.WECHAT, True, RefundStatus.SUCCEEDED)]
    assert order.after_sale(case).status is A.REFUNDED
    assert shop.events(ev.RefundRequested) == []
    assert [(e.fen, e.offline) for e in shop.events(ev.RefundSucceeded)] == [(5000, True)]


def test_refused_after_sale_steps_name_the_step_and_the_status() -> None:
    # RULES: AS-3, AS-4
    shop = Shop()
    number = shop.completed_order()
    case = shop.apply(number, K.RETURN_AND_REFUND, {"tea": 1})
    with pytest.raises(InvalidTransition) as caught:
        svc.receive_return(shop.uow, number, case, now=LATER)
    assert caught.value.status == "requested" and "receive the return" in caught.value.action
    with pytest.raises(InvalidTransition) as caught:
        svc.record_return_shipment(shop.uow, number, case, carrier="SF",
                                   tracking_number="SF0000000009", now=LATER)
    assert caught.value.status == "requested" and "ship back" in caught.value.action
    with pytest.raises(NotFound):
        svc.approve_return(shop.uow, number, "A999999", now=LATER)


# ====================================================================== AS-4
def _reship(shop: Shop, number: str, case: str, *, carrier: str = "SF",
            tracking: str = "SF5550000001") -> None:
    svc.reship_exchange(shop.uow, number, case, carrier=carrier, tracking_number=tracking,
                        now=LATER)


def _exchange_received(shop: Shop, number: str, case: str) -> None:
    svc.confirm_exchange_received(shop.uow, number, case, now=LATER)


def _exchange_until_received_back(shop: Shop, number: str) -> str:
    case = shop.apply(number, K.EXCHANGE, {"tea": 1}, 0)
    svc.approve_return(shop.uow, number, case, now=LATER)
    svc.record_return_shipment(shop.uow, number, case, carrier="SF",
                               tracking_number="SF4440000001", now=LATER)
    svc.receive_return(shop.uow, number, case, now=LATER)
    return case


def test_exchange_flow() -> None:
    # RULES: AS-4
    shop = Shop()
    number = shop.completed_order()
    paid = shop.order(number).paid_fen
    case = shop.apply(number, K.EXCHANGE, {"tea": 1}, 0)
    with pytest.raises(InvalidTransition):  # not before the goods come back
        _reship(shop, number, case)
    svc.approve_return(shop.uow, number, case, now=LATER)
    svc.record_return_shipment(shop.uow, number, case, carrier="SF",
                               tracking_number="SF4440000001", now=LATER)
    svc.receive_return(shop.uow, number, case, now=LATER)
    with pytest.raises(InvalidInput):  # the replacement ships with carrier + tracking
        _reship(shop, number, case, tracking="")
    _reship(shop, number, case, carrier="ZTO", tracking="ZT1230000001")
    reshipped = shop.order(number).after_sale(case)
    assert (reshipped.status, reshipped.reship_carrier, reshipped.reship_tracking) == (
        A.RESHIPPED, "ZTO", "ZT1230000001")
    _exchange_received(shop, number, case)
    order = shop.order(number)
    assert order.after_sale(case).status is A.EXCHANGED
    assert order.status is OrderStatus.COMPLETED
    assert order.refunds == [] and order.paid_fen == paid


def test_an_exchange_is_never_refunded() -> None:
    # RULES: AS-4
    shop = Shop()
    number = shop.completed_order()
    case = _exchange_until_received_back(shop, number)
    before = snapshot(shop.uow)
    with pytest.raises(NotAllowed):
        svc.refund_after_sale(shop.uow, shop.numbers, number, case, now=LATER)
    assert snapshot(shop.uow) == before


def test_only_an_exchange_is_reshipped() -> None:
    # RULES: AS-4
    shop = Shop()
    number = shop.completed_order()
    case = shop.apply(number, K.RETURN_AND_REFUND, {"tea": 1})
    svc.approve_return(shop.uow, number, case, now=LATER)
    svc.record_return_shipment(shop.uow, number, case, carrier="SF",
                               tracking_number="SF4440000002", now=LATER)
    svc.receive_return(shop.uow, number, case, now=LATER)
    with pytest.raises(NotAllowed):
        _reship(shop, number, case)


def test_an_exchanged_unit_can_still_be_refunded_later() -> None:
    # RULES: AS-4, AS-2
    shop = Shop()
    number = shop.completed_order([("tea", 1)])
    case = _exchange_until_received_back(shop, number)
    _reship(shop, number, case)
    _exchange_received(shop, number, case)
    assert shop.order(number).refundable_for({"tea": 1}) == {"tea": 5000}


def test_an_exchange_does_not_add_stock() -> None:
    # RULES: AS-4, ORD-9 (one unit came back, one went out: the shop has no more to sell)
    shop = Shop()
    number = shop.completed_order([("tea", 2)])
    before = shop.level("tea")
    case = _exchange_until_received_back(shop, number)
    _reship(shop, number, case)
    _exchange_received(shop, number, case)
    after = shop.level("tea")
    assert after.available <= before.available, (before, after)
    assert after.sold >= before.sold, (before, after)


@pytest.mark.parametrize("quantity", [0.5, True, 1.0])
def test_exchanged_quantities_are_whole_units(quantity: object) -> None:
    # RULES: AS-2, AS-4 (an application names its items: whole units, as for refunds)
    shop = Shop()
    number = shop.completed_order([("tea", 2)])
    before = snapshot(shop.uow)
    with pytest.raises(InvalidInput):
        shop.apply(number, K.EXCHANGE, {"tea": quantity}, 0)  # type: ignore[dict-item]
    assert snapshot(shop.uow) == before
    with pytest.raises(InvalidInput):  # the same rule as for money back
        shop.apply(number, K.REFUND_ONLY, {"tea": quantity}, 100)  # type: ignore[dict-item]
