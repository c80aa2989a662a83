"""Scene 2: a flash sale of 100 units rushed by 150 buyers in threads (FS-1..5, ORD-6).

Who wins is up to the scheduler; what is printed is not: exactly 100 orders at
the flash price, 50 buyers turned away, 100 units reserved and none oversold.
"""

from __future__ import annotations

import enum
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from mallcore.errors import LimitReached
from mallcore.money import money
from mallcore.orders.payments import PaymentMethod, PaymentPart
from mallcore.pricing import Buyer, Cart, PricingPipeline
from mallcore.pricing.breakdown import PriceBreakdown
from mallcore.promotions import Window
from mallcore.promotions.flash_sale import (
    FLASH_SALE_KIND,
    FlashSale,
    FlashSaleItem,
    FlashSaleRule,
)
from mallcore.services import orders as svc
from mallcore.services.flash_checkout import FlashCheckout
from mallcore_adapters.demo.shop import BUDS_SKU, DemoShop, yuan
from mallcore_adapters.sqlalchemy.flash import SqlFlashLimits, SqlFlashStock

BUYERS = 150
UNITS = 100
PAYERS = 60
WORKERS = 8


class Rush(enum.Enum):
    ORDERED = "ordered"
    SOLD_OUT_AT_QUOTE = "saw it sold out"  # the quote fell back to the list price
    SOLD_OUT_AT_SUBMIT = "lost the race at submission"  # quoted flash, stock gone since


def _flash_priced(quote: PriceBreakdown) -> bool:
    return quote.line(BUDS_SKU).family == FLASH_SALE_KIND


def run(shop: DemoShop) -> dict[str, object]:
    say, clock = shop.say, shop.clock
    shop.scene("3. A flash sale: 100 units, 150 buyers at once")
    start = clock.at(shop.flash_day.replace(hour=20))
    window = Window(start, start + timedelta(hours=1))
    item = FlashSaleItem(BUDS_SKU, money("99.00"), UNITS, per_user_limit=1)
    sale = FlashSale(f"fs-buds{shop.tag}", "耳机秒杀", window, [item])
    shop.config.save_promotion(sale.id, sale)
    stock = SqlFlashStock(shop.engine)
    rule = FlashSaleRule(sale, stock, SqlFlashLimits(shop.engine))  # loads the 100 units
    checkout = FlashCheckout([rule])
    pipeline = PricingPipeline(line_rules=[rule])
    price = sale.price_fen(BUDS_SKU)
    say(f"{sale.name}: 蓝牙耳机 at {yuan(price)} instead of 199.00, {UNITS} units, "
        f"1 per customer, {start:%m-%d %H:%M}–{start + timedelta(hours=1):%H:%M}; "
        f"{stock.remaining(sale.id, BUDS_SKU)} loaded")

    def quote(customer: str, now: datetime) -> PriceBreakdown:
        cart = Cart.from_catalog(shop.catalog, [(BUDS_SKU, 1)])
        return pipeline.price(cart, now=now, buyer=Buyer(customer))

    def rush(customer: str) -> tuple[Rush, str | None]:
        """One buyer: quote, and order only at the flash price."""
        now = start + timedelta(seconds=1)
        q = quote(customer, now)
        if not _flash_priced(q):
            return Rush.SOLD_OUT_AT_QUOTE, None
        try:
            number = svc.place_order(shop.uow(), shop.numbers, customer_id=customer,
                                     breakdown=q, catalog=shop.catalog, now=now, flash=checkout)
        except LimitReached:
            return Rush.SOLD_OUT_AT_SUBMIT, None
        return Rush.ORDERED, number

    buyers = [f"buyer-{i:03d}" for i in range(1, BUYERS + 1)]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = dict(zip(buyers, pool.map(rush, buyers), strict=True))
    outcomes = Counter(kind for kind, _ in results.values())
    orders = sorted(n for _, n in results.values() if n is not None)
    winners = sorted(c for c, (kind, _) in results.items() if kind is Rush.ORDERED)
    turned_away = outcomes[Rush.SOLD_OUT_AT_QUOTE] + outcomes[Rush.SOLD_OUT_AT_SUBMIT]
    say(f"{BUYERS} buyers rush in at {start:%H:%M:%S} ({WORKERS} threads): "
        f"{len(orders)} orders at {yuan(price)}, {turned_away} turned away sold out")
    say(f"flash stock: {stock.remaining(sale.id, BUDS_SKU)} left, "
        f"{stock.reserved(sale.id, BUDS_SKU)} reserved, {stock.sold(sale.id, BUDS_SKU)} sold; "
        f"shop stock {shop.stock_line(BUDS_SKU)}")

    again = quote(winners[0], start + timedelta(minutes=1))
    (why,) = [s for s in again.skipped if s.id == sale.id]
    say(f"a winner tries for a second pair: {yuan(again.payable_fen)}, no flash price "
        f"({why.reason.value}: {why.detail.split(': ', 1)[1]})")

    payers = orders[:PAYERS]
    pay_at = clock.at(start + timedelta(minutes=10))
    for number in payers:
        svc.pay_order(shop.uow(), shop.numbers, number,
                      [PaymentPart(PaymentMethod.WECHAT, price)],
                      transaction_id=f"wx-{number}", now=pay_at, flash=checkout)
    say(f"{len(payers)} of them pay {yuan(price)} within the 30 minutes: "
        f"{stock.sold(sale.id, BUDS_SKU)} sold, {stock.reserved(sale.id, BUDS_SKU)} still held")

    late = clock.at(start + timedelta(seconds=1) + sale.payment_timeout + timedelta(minutes=1))
    closed = svc.close_due_orders(shop.uow(), late, flash=checkout)
    say(f"{late:%H:%M}: the other {len(closed)} orders time out and close; their units go "
        f"back: flash stock {stock.remaining(sale.id, BUDS_SKU)} left, "
        f"{stock.reserved(sale.id, BUDS_SKU)} reserved, {stock.sold(sale.id, BUDS_SKU)} sold")
    say(f"shop stock {shop.stock_line(BUDS_SKU)}")
    lapsed = shop.order(closed[0]).customer_id if closed else winners[0]
    retry = quote(lapsed, clock.advance(minutes=1))
    say(f"a buyer whose order lapsed may try again (limit given back): "
        f"{yuan(retry.payable_fen)}")
    return {"sale": sale.id, "orders": orders, "paid": payers, "closed": closed,
            "turned_away": turned_away}
