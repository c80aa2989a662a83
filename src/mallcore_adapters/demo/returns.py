"""Scene 3: an order with an activity and a coupon, shipped, received, returned and
refunded (PIPE-1, ORD-1, ORD-4, AS-1..5)."""

from __future__ import annotations

from mallcore.coupons import FixedAmount
from mallcore.coupons.batches import CouponBatch, CouponTerms, RelativeValidity
from mallcore.money import money
from mallcore.orders.aftersales import AfterSaleKind
from mallcore.orders.order import Address, ReceiptBy
from mallcore.orders.payments import PaymentMethod, PaymentPart
from mallcore.pricing import Buyer, Cart, PricingPipeline
from mallcore.pricing.breakdown import Stage
from mallcore.promotions import Activity, ProductScope, ReductionTier, TieredReduction
from mallcore.services import orders as svc
from mallcore_adapters.demo.shop import TEA_SKU, DemoShop, yuan

TRACKING = "SF1402367258931"
RETURN_TRACKING = "YT7788990011223"


def run(shop: DemoShop) -> dict[str, object]:
    say, clock = shop.say, shop.clock
    shop.scene("2. An order shipped, returned and refunded")
    clock.at(shop.day.replace(hour=18))
    activity = Activity(f"tea-100-10{shop.tag}", "茶叶满100减10",
                        TieredReduction([ReductionTier(money("100.00"), money("10.00"))]),
                        ProductScope(products={"tea"}))
    shop.config.save_promotion(activity.id, activity)
    code = _claim_coupon(shop)
    say(f"activity {activity.name} on 龙井茶, and carol claims a 5元茶叶券 coupon")

    cart = Cart.from_catalog(shop.catalog, [(TEA_SKU, 1)], shipping=money("8.00"))
    sql = shop.sql()
    with sql:
        offer = sql.coupons.batch_of(code).offer(code)
    quote = PricingPipeline([activity]).price(cart, now=clock.now, buyer=Buyer("carol"),
                                              coupon=offer)
    act_saving = quote.total_fen(Stage.LIST) - quote.total_fen(Stage.ACTIVITIES)
    cpn_saving = quote.total_fen(Stage.ACTIVITIES) - quote.total_fen(Stage.COUPONS)
    say(f"carol's cart: 龙井茶 {yuan(quote.line(TEA_SKU).fen[0])} − {activity.name} "
        f"{yuan(act_saving)} − coupon {yuan(cpn_saving)} + shipping "
        f"{yuan(quote.shipping_fen[-1])} = {yuan(quote.payable_fen)}")
    number = svc.place_order(
        shop.uow(), shop.numbers, customer_id="carol", breakdown=quote, catalog=shop.catalog,
        now=clock.now, coupon_id=code,
        address=Address("陈卡罗", "13800138000", "浙江省杭州市", "西湖区龙井路1号"))
    order = shop.order(number)
    svc.pay_order(shop.uow(), shop.numbers, number,
                  [PaymentPart(PaymentMethod.WECHAT, order.payable_fen)],
                  transaction_id=f"wx-{number}", now=clock.advance(minutes=3))
    say(f"order {number} placed and paid {yuan(order.payable_fen)}: "
        f"{shop.order(number).status.value}; {shop.stock_line(TEA_SKU)}")

    svc.ship_order(shop.uow(), shop.numbers, number, now=clock.advance(days=1), carrier="SF",
                   tracking_number=TRACKING)
    order = shop.order(number)
    say(f"shipped by 顺丰 (SF), waybill {TRACKING}: order {order.status.value}, logistics "
        f"{order.logistics.value}")
    svc.confirm_receipt(shop.uow(), number, by=ReceiptBy.BUYER, now=clock.advance(days=2))
    say(f"carol confirms receipt: {shop.order(number).status.value}")

    clock.advance(days=1)
    line_id = order.lines[0].line_id
    asked = order.refundable_for({line_id: 1})[line_id]
    case = svc.apply_after_sale(shop.uow(), shop.numbers, number,
                                kind=AfterSaleKind.RETURN_AND_REFUND, reason="茶叶受潮",
                                items={line_id: 1}, fen=asked, now=clock.now)
    say(f"carol applies for return and refund {case} (茶叶受潮), asking {yuan(asked)}: "
        f"the most the tea was paid; shipping {yuan(order.shipping_due)} is not refunded")
    svc.approve_return(shop.uow(), number, case, now=clock.advance(hours=2))
    say(f"the merchant approves: {shop.order(number).after_sale(case).status.value}")
    svc.record_return_shipment(shop.uow(), number, case, carrier="YTO",
                               tracking_number=RETURN_TRACKING, now=clock.advance(hours=3))
    say(f"carol sends it back by 圆通 (YTO), waybill {RETURN_TRACKING}: "
        f"{shop.order(number).after_sale(case).status.value}")
    svc.receive_return(shop.uow(), number, case, now=clock.advance(days=2))
    say(f"the tea arrives back: {shop.order(number).after_sale(case).status.value}; back on "
        f"sale, {shop.stock_line(TEA_SKU)}")
    refund_no = svc.refund_after_sale(shop.uow(), shop.numbers, number, case,
                                      now=clock.advance(minutes=5))
    refund = shop.order(number).refund(refund_no)
    say(f"refund {refund_no} of {yuan(refund.fen)} to WeChat Pay: {refund.status.value}")
    svc.refund_result(shop.uow(), number, refund_no, PaymentMethod.WECHAT, ok=True,
                      now=clock.advance(minutes=1))
    order = shop.order(number)
    say(f"WeChat Pay confirms: refund {order.refund(refund_no).status.value}, after-sale "
        f"{order.after_sale(case).status.value}; order {number} {order.status.value} "
        f"({order.close_reason.value if order.close_reason else '-'}), paid "
        f"{yuan(order.paid_fen)}, refunded {yuan(order.refunded_fen)}")
    return {"order": number, "refund_fen": refund.fen, "after_sale": case,
            "coupon": code}


def _claim_coupon(shop: DemoShop) -> str:
    """A published batch of 10 codes, stored; carol claims one."""
    batch = CouponBatch.normal(f"tea5{shop.tag}", "5元茶叶券",
                               CouponTerms(FixedAmount(money("5.00"))), RelativeValidity(7),
                               codes=[f"TEA5{shop.tag.upper()}A{i:04d}" for i in range(1, 11)])
    batch.publish(shop.clock.now)
    uow = shop.sql()
    with uow:
        uow.coupons.add(batch)
        code = uow.coupons.get(batch.id).claim("carol", now=shop.clock.now).code
        uow.commit()
    return code
