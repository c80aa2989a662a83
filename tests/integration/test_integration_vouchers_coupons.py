"""Vouchers and coupon batches wired into orders: issue on payment, refund through the
order's refund path, coupon codes redeemed through their batch (issues 3 and 4)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mallcore.catalog import Catalog, Product, ProductKind, Sku
from mallcore.coupons import FixedAmount
from mallcore.coupons.batches import CouponBatch, CouponTerms, RelativeValidity
from mallcore.errors import LimitReached, NotAllowed
from mallcore.inventory import Inventory
from mallcore.memory import (
    MemoryCouponBatches,
    MemoryUnitOfWork,
    RecordingPublisher,
    SequentialNumbers,
)
from mallcore.money import money
from mallcore.orders.order import OrderPolicy
from mallcore.orders.payments import PaymentMethod, PaymentPart
from mallcore.orders.status import CloseReason, OrderStatus
from mallcore.pricing import Buyer, Cart, PricingPipeline
from mallcore.services import orders as svc
from mallcore.services import vouchers as vsvc
from mallcore.vouchers import (
    DaysFromIssue,
    IssueMode,
    Store,
    VerificationMethod,
    Verifier,
    VoucherCatalog,
    VoucherStatus,
    VoucherTerms,
)
from mallcore.vouchers.events import VoucherIssued

NOW = datetime(2026, 11, 22, 10, tzinfo=timezone(timedelta(hours=8)))
STORE = Store("west-lake", "西湖店")
CLERK = Verifier("clerk-1", "小李", "west-lake")


class Shop:
    def __init__(self, *, coupons: MemoryCouponBatches | None = None) -> None:
        self.catalog = Catalog([
            Product(id="ticket", name="游船票", kind=ProductKind.VIRTUAL, on_shelf=True,
                    skus=[Sku(id="ticket-adult", price=money("33.33"), stock=100)]),
            Product(id="tea", name="龙井", on_shelf=True,
                    skus=[Sku(id="tea-250", price=money("100.00"), stock=10)]),
        ])
        inventory = Inventory()
        inventory.receive("ticket-adult", 100, ref="po")
        inventory.receive("tea-250", 10, ref="po")
        self.uow = MemoryUnitOfWork(catalog=self.catalog, inventory=inventory, coupons=coupons)
        self.numbers = SequentialNumbers()
        self.publisher = RecordingPublisher()
        self.vouchers = VoucherCatalog()
        self.vouchers.set_grant("ticket", VoucherTerms(
            "boat", uses=3, mode=IssueMode.PER_UNIT, validity=DaysFromIssue(30),
            buyer_refundable=False))

    def order(self, items: list[tuple[str, int]], *, coupon: str | None = None,
              customer: str = "c1", policy: OrderPolicy | None = None) -> str:
        cart = Cart.from_catalog(self.catalog, items)
        offer = None
        if coupon is not None:
            offer = self.uow.coupons.batch_of(coupon).offer(coupon)  # type: ignore[union-attr]
        b = PricingPipeline().price(cart, now=NOW, buyer=Buyer(customer), coupon=offer)
        return svc.place_order(self.uow, self.numbers, customer_id=customer, breakdown=b,
                               catalog=self.catalog, now=NOW, coupon_id=coupon, policy=policy,
                               publisher=self.publisher)

    def pay(self, number: str, fen: int | None = None) -> svc.PaymentOutcome:
        due = self.uow.orders.get(number).payable_fen if fen is None else fen
        return svc.pay_order(self.uow, self.numbers, number,
                             [PaymentPart(PaymentMethod.WECHAT, due)],
                             transaction_id=f"wx-{number}", now=NOW, vouchers=self.vouchers,
                             publisher=self.publisher)


def test_paying_a_ticket_order_issues_one_voucher_per_unit_linked_to_the_order() -> None:
    # RULES: VCH-1, VCH-9
    shop = Shop()
    number = shop.order([("ticket-adult", 2)])
    assert list(shop.uow.vouchers) == []  # nothing before payment
    assert shop.pay(number) is svc.PaymentOutcome.PAID
    vouchers = shop.uow.vouchers.by_order(number)
    assert [(v.total_uses, v.customer_id, v.line_id) for v in vouchers] == [
        (3, "c1", "ticket-adult"), (3, "c1", "ticket-adult")]
    assert all(v.valid_until == NOW + timedelta(days=30) for v in vouchers)
    issued = [e for e in shop.publisher.events if isinstance(e, VoucherIssued)]
    assert sorted(e.voucher_id for e in issued) == sorted(v.id for v in vouchers)


def test_a_refused_payment_issues_no_voucher() -> None:
    # RULES: VCH-1, ORD-3 — the wrong amount is refused and nothing is half-applied
    shop = Shop()
    number = shop.order([("ticket-adult", 1)])
    with pytest.raises(NotAllowed):
        shop.pay(number, fen=1)
    assert list(shop.uow.vouchers) == []
    assert shop.uow.orders.get(number).status is OrderStatus.PENDING_PAYMENT


def test_verify_transfer_and_staff_refund_through_the_order() -> None:
    # RULES: VCH-3, VCH-4, VCH-7, AS-2, AS-5 — 2 tickets of 33.33 (66.66 paid), 3 uses
    # each.  One use verified, one transferred; staff refund the last use of each even
    # though the product is not refundable by the buyer
    shop = Shop()
    number = shop.order([("ticket-adult", 2)])
    shop.pay(number)
    first, second = shop.uow.vouchers.by_order(number)
    record = vsvc.verify_voucher(shop.uow, first.code, verifier=CLERK, store=STORE, uses=1,
                                 now=NOW, how=VerificationMethod.SCAN)
    assert record.uses == 1
    child = vsvc.transfer_voucher(shop.uow, shop.numbers, first.id, 1, to_customer_id="c2",
                                  now=NOW, by="clerk-1")
    assert shop.uow.vouchers.get(child).customer_id == "c2"
    r1 = vsvc.refund_voucher(shop.uow, shop.numbers, first.id, now=NOW, by="clerk-1")
    order = shop.uow.orders.get(number)
    assert order.refund(r1 or "").fen == 3333 * 3 // 3 - 3333 * 2 // 3  # its third use
    assert shop.uow.vouchers.get(first.id).status is VoucherStatus.REFUNDED
    r2 = vsvc.refund_voucher(shop.uow, shop.numbers, second.id, now=NOW, by="clerk-1")
    assert order.refund(r2 or "").fen == 3333  # nothing of it was used
    r3 = vsvc.refund_voucher(shop.uow, shop.numbers, child, now=NOW, by="clerk-1")
    assert order.refund(r3 or "").fen == 1111  # the transferred use, its share
    order = shop.uow.orders.get(number)
    used_value = 6666 - order.refunded_fen
    assert used_value == 1111  # exactly the one verified use stays paid
    assert order.refunded_fen <= order.paid_fen


def test_a_voucher_refund_never_passes_what_the_line_was_paid() -> None:
    # RULES: VCH-7, AS-2 — an after-sale refund first, then the voucher refund is capped
    shop = Shop()
    number = shop.order([("ticket-adult", 1)])
    shop.pay(number)
    (voucher,) = shop.uow.vouchers.by_order(number)
    with shop.uow:
        shop.uow.orders.get(number).refund_line("ticket-adult", 3000, refund_number="R-x",
                                               cause="goodwill", now=NOW)
        shop.uow.commit()
    with pytest.raises(LimitReached):
        vsvc.refund_voucher(shop.uow, shop.numbers, voucher.id, now=NOW, by="clerk-1")
    assert shop.uow.vouchers.get(voucher.id).status is VoucherStatus.AWAITING


def _batch(now: datetime) -> CouponBatch:
    terms = CouponTerms(FixedAmount(money("5.00")))
    batch = CouponBatch.normal("b5", "5元券", terms, RelativeValidity(7),
                               codes=["SAVE5AAAA", "SAVE5BBBB"])
    batch.publish(now)
    return batch


def test_an_order_redeems_a_claimed_code_through_its_batch_once() -> None:
    # RULES: CPN-4, CPN-8 — the code must be the buyer's, valid, and never used twice
    coupons = MemoryCouponBatches([_batch(NOW)])
    shop = Shop(coupons=coupons)
    code = coupons.batches["b5"].claim("c1", now=NOW).code
    number = shop.order([("tea-250", 1)], coupon=code)
    assert shop.uow.orders.get(number).payable_fen == 9500
    with pytest.raises(NotAllowed):
        shop.order([("tea-250", 1)], coupon=code)
    assert len(shop.uow.orders) == 1  # the refused order left nothing behind
    other = coupons.batches["b5"].claim("c2", now=NOW).code
    with pytest.raises(NotAllowed):
        shop.order([("tea-250", 1)], coupon=other, customer="c1")  # not c1's code


def test_a_closed_order_returns_its_batch_code_only_with_the_switch() -> None:
    # RULES: CPN-5
    coupons = MemoryCouponBatches([_batch(NOW)])
    shop = Shop(coupons=coupons)
    code = coupons.batches["b5"].claim("c1", now=NOW).code
    number = shop.order([("tea-250", 1)], coupon=code,
                        policy=OrderPolicy(return_coupon_on_close=True))
    svc.close_unpaid(shop.uow, number, reason=CloseReason.BUYER_CANCEL, now=NOW)
    again = shop.order([("tea-250", 1)], coupon=code)
    assert shop.uow.orders.get(again).coupon_id == code


def test_the_best_coupon_of_a_wallet_through_the_full_pipeline() -> None:
    # RULES: CPN-1, CPN-8 — two batches in c1's wallet; the one that saves more after
    # the pipeline ranks first, ties broken by the earlier expiry
    from mallcore.coupons import PercentOff
    from mallcore.money import Rate
    from mallcore.pricing.best_coupon import rank_wallet

    five = _batch(NOW)
    pct = CouponBatch.normal("b9", "9折券", CouponTerms(PercentOff(Rate.zhe(9))),
                             RelativeValidity(3), codes=["NINE9AAAA"])
    pct.publish(NOW)
    coupons = MemoryCouponBatches([five, pct])
    five.claim("c1", now=NOW)
    pct.claim("c1", now=NOW)
    shop = Shop(coupons=coupons)
    cart = Cart.from_catalog(shop.catalog, [("tea-250", 1)])
    ranked = rank_wallet(PricingPipeline(), cart, coupons.wallet("c1", NOW), now=NOW,
                         buyer=Buyer("c1"))
    assert [r.offer.id for r in ranked] == ["NINE9AAAA", five.codes_of("c1")[0].code]
    assert [r.saving_fen for r in ranked] == [1000, 500]
    assert ranked[0].expires_at == NOW + timedelta(days=3)
