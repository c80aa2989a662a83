"""The order read model search runs over: its values and refusals (ORD-1, ORD-4, ORD-10)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from order_search_builders import T0, summary

from mallcore.errors import InvalidInput
from mallcore.orders.status import LogisticsStatus, OrderStatus
from mallcore.orders.summary import LOGISTICS_STATUSES, ORDER_STATUSES, OrderSummary


# RULES: ORD-1
def test_statuses_are_the_order_lifecycle_values_of_the_aggregate() -> None:
    assert tuple(s.value for s in OrderStatus) == ORDER_STATUSES


# RULES: ORD-4
def test_logistics_values_are_those_of_the_aggregate() -> None:
    assert tuple(s.value for s in LogisticsStatus) == LOGISTICS_STATUSES


# RULES: ORD-1, ORD-4
def test_the_aggregates_enum_members_are_accepted_and_equal_their_text() -> None:
    s = summary(status=OrderStatus.SHIPPED, logistics=LogisticsStatus.PARTIALLY_SHIPPED)
    assert s.status == "shipped"
    assert s.logistics == "partially_shipped"


# RULES: ORD-1
@pytest.mark.parametrize("status", ["unpaid", "PAID", "refunding", ""])
def test_unknown_status_is_refused(status: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        summary(status=status)
    assert caught.value.rule == "ORD-1"
    assert "status" in caught.value.refused


# RULES: ORD-4
@pytest.mark.parametrize("logistics", ["delivered", "partial", "Shipped"])
def test_unknown_logistics_status_is_refused(logistics: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        summary(logistics=logistics)
    assert caught.value.rule == "ORD-4"
    assert "logistics" in caught.value.refused


# RULES: ORD-10
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"placed_at": datetime(2026, 3, 1, 9, 0)}, "placed_at"),
        ({"paid_at": datetime(2026, 3, 1, 9, 5)}, "paid_at"),
        ({"total_fen": -1}, "total_fen"),
        ({"total_fen": 100.0}, "total_fen"),
        ({"total_fen": True}, "total_fen"),
        ({"open_after_sales": -1}, "open_after_sales"),
        ({"refund_requested": 1}, "refund_requested"),
        ({"number": ""}, "order number"),
        ({"number": " N1"}, "order number"),
        ({"customer_id": "  "}, "customer_id"),
        ({"star": ""}, "star"),
        ({"consignee": " "}, "consignee"),
        ({"phone": "138-1234-5678"}, "phone"),
        ({"phone": "１３８１２３４５６７８"}, "phone"),  # full-width digits
        ({"phone": ""}, "phone"),
        ({"product_types": {"service"}}, "product_types"),
        ({"product_names": "Green Tea"}, "product_names"),  # one text, not a set
        ({"sku_ids": {"P1", ""}}, "sku_ids"),
        ({"brands": {"A", 3}}, "brands"),
    ],
)
def test_invalid_summaries_are_refused_naming_the_field(
    overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        summary(**overrides)
    assert field in caught.value.refused
    assert caught.value.rule == "ORD-10"


# RULES: ORD-10
def test_sets_accept_any_iterable_and_are_frozen() -> None:
    s = summary(tracking_numbers=["SF1", "SF2", "SF1"], product_names=("a", "b"))
    assert s.tracking_numbers == frozenset({"SF1", "SF2"})
    assert isinstance(s.product_names, frozenset)


# RULES: ORD-10
def test_a_minimal_summary_needs_only_identity_status_time_and_total() -> None:
    s = OrderSummary(
        number="N1",
        status="pending_payment",
        logistics="not_shipped",
        placed_at=T0,
        total_fen=0,
        customer_id="C1",
    )
    assert s.paid_at is None
    assert s.star is None
    assert s.payment_methods == frozenset()
    assert s.open_after_sales == 0
    assert s.refund_requested is False
