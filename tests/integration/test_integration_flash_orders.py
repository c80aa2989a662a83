"""Flash-sale lines through orders: limits used at submission, the 30-minute timeout,
stock and limits given back on close, sold on payment (FS-2, FS-3, FS-5)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mallcore.catalog import Catalog, Product, Sku
from mallcore.errors import LimitReached
from mallcore.inventory import Inventory
from mallcore.memory import MemoryUnitOfWork, SequentialNumbers
from mallcore.money import money
from mallcore.orders.payments import PaymentMethod, PaymentPart
from mallcore.orders.status import OrderStatus
from mallcore.pricing import Buyer, Cart, PricingPipeline, SkipReason
from mallcore.promotions import Window
from mallcore.promotions.flash_sale import FlashLimits, FlashSale, FlashSaleItem, FlashSaleRule
from mallcore.promotions.flash_stock import MemoryFlashStock
from mallcore.services import orders as svc
from mallcore.services.flash_checkout import FlashCheckout

START = datetime(2026, 11, 22, 20, tzinfo=timezone(timedelta(hours=8)))


class FlashShop:
    def __init__(self, units: int = 2) -> None:
        self.catalog = Catalog([Product(id="p", name="耳机", on_shelf=True,
                                        skus=[Sku(id="buds", price=money("199.00"), stock=50)])])
        inventory = Inventory()
        inventory.receive("buds", 50, ref="po")
        self.uow = MemoryUnitOfWork(catalog=self.catalog, inventory=inventory)
        self.numbers = SequentialNumbers()
        self.stock = MemoryFlashStock()
        sale = FlashSale("fs", "秒杀", Window(START, START + timedelta(hours=1)),
                         [FlashSaleItem("buds", money("99.00"), units, per_user_limit=1)])
        self.rule = FlashSaleRule(sale, self.stock, FlashLimits())
        self.flash = FlashCheckout([self.rule])
        self.pipeline = PricingPipeline(line_rules=[self.rule])

    def quote(self, customer: str, now: datetime):  # type: ignore[no-untyped-def]
        cart = Cart.from_catalog(self.catalog, [("buds", 1)])
        return self.pipeline.price(cart, now=now, buyer=Buyer(customer))

    def place(self, customer: str, now: datetime) -> str:
        return svc.place_order(self.uow, self.numbers, customer_id=customer,
                               breakdown=self.quote(customer, now), catalog=self.catalog,
                               now=now, flash=self.flash)


def test_submission_uses_the_limit_and_the_flash_stock() -> None:
    # RULES: FS-1, FS-2, FS-5
    shop = FlashShop()
    number = shop.place("c1", START + timedelta(minutes=1))
    assert shop.uow.orders.get(number).payable_fen == 9900
    assert shop.stock.remaining("fs", "buds") == 1
    again = shop.quote("c1", START + timedelta(minutes=2))
    assert again.line("buds").family == "regular"  # limit used: the list price returns
    assert {s.id: s.reason for s in again.skipped}["fs"] is SkipReason.LIMIT_REACHED


def test_an_unpaid_flash_order_times_out_after_30_minutes_and_gives_everything_back() -> None:
    # RULES: FS-3, ORD-6
    shop = FlashShop()
    number = shop.place("c1", START + timedelta(minutes=1))
    assert svc.close_due_orders(shop.uow, START + timedelta(minutes=30), flash=shop.flash) == []
    assert svc.close_due_orders(shop.uow, START + timedelta(minutes=31),
                                flash=shop.flash) == [number]
    assert shop.stock.remaining("fs", "buds") == 2
    assert shop.quote("c1", START + timedelta(minutes=32)).line("buds").family == "flash_sale"


def test_a_paid_flash_order_sells_its_units() -> None:
    # RULES: FS-5, ORD-2
    shop = FlashShop()
    number = shop.place("c1", START + timedelta(minutes=1))
    outcome = svc.pay_order(shop.uow, shop.numbers, number, [PaymentPart(PaymentMethod.WECHAT,
                                                                         9900)],
                            transaction_id="wx-1", now=START + timedelta(minutes=5),
                            flash=shop.flash)
    assert outcome is svc.PaymentOutcome.PAID
    assert shop.stock.sold("fs", "buds") == 1
    assert shop.uow.orders.get(number).status is OrderStatus.PAID


def test_sold_out_between_quote_and_submission_refuses_the_order_and_leaves_nothing() -> None:
    # RULES: FS-5 — two buyers quoted the last unit; the second submission is refused
    shop = FlashShop(units=1)
    q1, q2 = (shop.quote(c, START + timedelta(minutes=1)) for c in ("c1", "c2"))
    svc.place_order(shop.uow, shop.numbers, customer_id="c1", breakdown=q1,
                    catalog=shop.catalog, now=START + timedelta(minutes=1), flash=shop.flash)
    with pytest.raises(LimitReached):
        svc.place_order(shop.uow, shop.numbers, customer_id="c2", breakdown=q2,
                        catalog=shop.catalog, now=START + timedelta(minutes=1),
                        flash=shop.flash)
    assert len(shop.uow.orders) == 1
    assert shop.stock.remaining("fs", "buds") == 0 and shop.stock.reserved("fs", "buds") == 1
