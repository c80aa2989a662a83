"""The SQL unit of work gives the same results as the in-memory one, and is atomic."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from orders_helpers import T0, Shop
from sql_shop import SqlShop, state
from sqlalchemy import Engine, func, select

from mallcore.errors import MallcoreError, NotAllowed, StaleState
from mallcore.orders.order import ReceiptBy
from mallcore.orders.payments import PaymentMethod, PaymentPart
from mallcore.orders.search import OrderQuery, QuickFilter
from mallcore.orders.status import CloseReason, OrderStatus
from mallcore.services import orders as svc
from mallcore.services._uow import run
from mallcore_adapters.sqlalchemy import SqlUnitOfWork, schema


def test_an_order_through_its_life_is_stored_and_read_back(engine: Engine) -> None:
    # RULES: ORD-1, ORD-2, ORD-9
    shop = SqlShop(engine)
    number = shop.paid_order()
    assert shop.order(number).status is OrderStatus.PAID
    assert shop.level("tea").sold == 2
    shop.ship(number)
    shop.confirm(number)
    order = shop.order(number)
    assert order.status is OrderStatus.COMPLETED
    assert order.version >= 4  # placed, paid, shipped, completed: one version each
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.order_payments)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(schema.outbox)).scalar() >= 4


def test_a_refused_use_case_writes_nothing(engine: Engine) -> None:
    # RULES: ORD-9
    shop = SqlShop(engine, stock={"tea": 1})
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(schema.orders)).scalar()
    with pytest.raises(MallcoreError):
        shop.place([("tea", 1), ("pot", 1), ("tea", 5)])
    assert shop.level("tea").available == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.orders)).scalar() == before
        assert conn.execute(select(func.count()).select_from(schema.stock_reservations)
                            ).scalar() == 0


def test_a_lost_update_is_refused_and_run_retries_on_fresh_state(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one writing unit of work at a time (BEGIN IMMEDIATE)")
    shop = SqlShop(engine)
    number = shop.place([("tea", 1)])
    first, second = SqlUnitOfWork(engine), SqlUnitOfWork(engine)
    with first:
        mine = first.orders.get(number)
        with second:  # another process reads the same version, and commits first
            theirs = second.orders.get(number)
            theirs.pay([PaymentPart(PaymentMethod.WECHAT, theirs.payable_fen)],
                       transaction_id="tx-a", now=T0)
            second.commit()
        mine.pay([PaymentPart(PaymentMethod.WECHAT, mine.payable_fen)], transaction_id="tx-b",
                 now=T0)
        with pytest.raises(StaleState):
            first.commit()
    assert [p.transaction_id for p in shop.order(number).payments] == ["tx-a"]
    # the service layer runs the use case again: now it sees the order paid
    outcome = svc.pay_order(shop.uow, shop.numbers, number,
                            [PaymentPart(PaymentMethod.WECHAT, 1)], transaction_id="tx-a", now=T0)
    assert outcome is svc.PaymentOutcome.DUPLICATE


def test_run_gives_up_after_its_attempts(engine: Engine) -> None:
    uow = SqlUnitOfWork(engine)
    calls = []

    def always_stale() -> None:
        calls.append(1)
        raise StaleState("x", "always")

    with pytest.raises(StaleState):
        run(uow, None, always_stale, attempts=3)
    assert len(calls) == 3


# ----------------------------------------------------------- memory vs SQL
OPS = st.lists(st.tuples(
    st.sampled_from(["place", "pay", "ship", "confirm", "close", "cancel", "refund"]),
    st.integers(0, 3), st.integers(1, 3)), min_size=1, max_size=8)


def _apply(shop: Shop, numbers: list[str], op: str, pick: int, qty: int) -> Any:
    target = numbers[pick % len(numbers)] if numbers else None
    try:
        if op == "place":
            numbers.append(shop.place([("tea", qty), ("cup", 1)]))
            return "placed"
        if target is None:
            return "none"
        if op == "pay":
            return shop.pay(target)
        if op == "ship":
            shop.ship(target)
        elif op == "confirm":
            shop.confirm(target, by=ReceiptBy.BUYER)
        elif op == "close":
            svc.close_unpaid(shop.uow, target, reason=CloseReason.BUYER_CANCEL, now=T0,
                             publisher=shop.publisher)
        elif op == "cancel":
            svc.merchant_cancel(shop.uow, shop.numbers, target, refund=True, now=T0,
                                publisher=shop.publisher)
        elif op == "refund":
            shop.refund_only(target, {"cup": 1})
        return "ok"
    except MallcoreError as exc:
        return type(exc).__name__


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=OPS)
def test_the_same_use_cases_give_the_same_state_as_in_memory(engine: Engine, ops: Any) -> None:
    # RULES: ORD-1, ORD-9, AS-2
    with engine.begin() as conn:
        for table in reversed(schema.metadata.sorted_tables):
            conn.execute(table.delete())
    memory, stored = Shop(stock={"tea": 5}), SqlShop(engine, stock={"tea": 5})
    mine: list[str] = []
    theirs: list[str] = []
    for op, pick, qty in ops:
        assert _apply(memory, mine, op, pick, qty) == _apply(stored, theirs, op, pick, qty), op
    assert len(mine) == len(theirs)  # numbers may differ: SQLite's roll back with a refusal
    assert state(memory, mine) == state(stored, theirs)


# ----------------------------------------------------------- search
def test_search_in_sql_returns_what_the_in_memory_search_returns(engine: Engine) -> None:
    # RULES: ORD-10
    memory, stored = Shop(), SqlShop(engine)
    for shop in (memory, stored):
        shop.place([("tea", 1)])
        shop.paid_order()
        shipped = shop.shipped_order(items=(("pot", 1),))
        shop.completed_order(items=(("cup", 2),))
        svc.request_cancellation(shop.uow, shop.paid_order(), reason="wrong size", now=T0)
        _ = shipped
    queries = [OrderQuery(), OrderQuery(quick=QuickFilter.TO_SHIP),
               OrderQuery(quick=QuickFilter.REFUND_REQUESTS),
               OrderQuery(quick=QuickFilter.LAST_3_MONTHS),
               OrderQuery(statuses={"paid", "shipped"}, order_by="total", descending=False),
               OrderQuery(sku_id="pot"), OrderQuery(product_name="TEA"),
               OrderQuery(payment_methods={"wechat"}, offset=1, limit=2),
               OrderQuery(placed_from=T0, placed_to=T0.replace(hour=T0.hour + 1))]
    for query in queries:
        with memory.uow:
            expected = [s.number for s in memory.uow.orders.search(query, T0)]
        with stored.uow:
            got = [s.number for s in stored.uow.orders.search(query, T0)]
        assert got == expected, query


def test_a_second_order_with_a_taken_number_is_refused(engine: Engine) -> None:
    shop = SqlShop(engine)
    number = shop.place([("tea", 1)])
    order = shop.order(number)
    uow = SqlUnitOfWork(engine)
    with uow, pytest.raises(MallcoreError, match="exists already"):
        uow.orders.add(order)
    _ = NotAllowed
