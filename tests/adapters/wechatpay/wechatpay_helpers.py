"""Clock, shop and constants shared by the ``test_wechatpay_*`` modules.

Imported as ``wechatpay_helpers`` (``conftest.py`` puts this directory on ``sys.path``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from mallcore.catalog import Catalog, Product, Sku, StockStrategy
from mallcore.inventory import Inventory
from mallcore.memory import MemoryUnitOfWork, RecordingPublisher, SequentialNumbers
from mallcore.money import money
from mallcore.orders.order import Order
from mallcore.pricing import Buyer, Cart, PricingPipeline
from mallcore.services import orders as svc

#: Real "now" (whole seconds): wechatpayv3 signs with time.time(), so the fake must agree.
START = datetime.fromtimestamp(int(time.time()), UTC)


class Clock:
    """The one clock of a test: our client and handler read ``now``, the fake ``epoch``."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def epoch(self) -> float:
        return self.now.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Shop:
    """One product at 12.34 plus 5.00 shipping; orders placed by customer c1."""

    def __init__(self) -> None:
        self.catalog = Catalog([Product(id="p-tea", name="Longjing Tea",
                                        skus=[Sku(id="tea", price=money("12.34"), stock=100)],
                                        on_shelf=True, stock_strategy=StockStrategy.AT_ORDER)])
        inventory = Inventory()
        inventory.receive("tea", 100, ref="initial")
        self.uow = MemoryUnitOfWork(catalog=self.catalog, inventory=inventory)
        self.numbers = SequentialNumbers()
        self.publisher = RecordingPublisher()
        self.pipeline = PricingPipeline([])

    def place(self, quantity: int = 1) -> str:
        cart = Cart.from_catalog(self.catalog, [("tea", quantity)], shipping=money("5.00"))
        breakdown = self.pipeline.price(cart, now=START, buyer=Buyer("c1"))
        return svc.place_order(self.uow, self.numbers, customer_id="c1", breakdown=breakdown,
                               catalog=self.catalog, now=START, publisher=self.publisher)

    def order(self, number: str) -> Order:
        return self.uow.orders.get(number)
