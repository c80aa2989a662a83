"""Scene 1: a boat pass of 3 rides, written off at a store, one ride transferred, one
refunded through the order (VCH-1..7, AS-5).  Codes are never printed: they are
bearer secrets, and the ones issued at payment come from the system's generator."""

from __future__ import annotations

from mallcore.orders.payments import PaymentMethod, PaymentPart
from mallcore.pricing import Buyer, Cart, PricingPipeline
from mallcore.services import orders as svc
from mallcore.services import vouchers as vsvc
from mallcore.vouchers import (
    DaysFromIssue,
    IssueMode,
    MistypedCode,
    Store,
    VerificationMethod,
    Verifier,
    Voucher,
    VoucherCatalog,
    VoucherTerms,
)
from mallcore_adapters.demo.shop import PASS_SKU, DemoShop, yuan

WEST_LAKE = Store("west-lake", "西湖店")
BRIDGE = Store("broken-bridge", "断桥店")
CLERK_LI = Verifier("clerk-li", "小李", WEST_LAKE.id)
CLERK_WANG = Verifier("clerk-wang", "小王", BRIDGE.id)


def _swap_neighbours(code: str) -> str:
    """The commonest typing slip: two different neighbouring digits swapped."""
    i = next(i for i in range(len(code) - 1) if code[i] != code[i + 1])
    return code[:i] + code[i + 1] + code[i] + code[i + 2:]


def _per_use(paid_fen: int, uses: int) -> list[int]:
    """VCH-7: use k of T paid P is worth ⌊P·k/T⌋ − ⌊P·(k−1)/T⌋, so they add up to P."""
    return [paid_fen * k // uses - paid_fen * (k - 1) // uses for k in range(1, uses + 1)]


def _voucher(shop: DemoShop, voucher_id: str) -> Voucher:
    uow = shop.uow()
    with uow:
        return uow.vouchers.get(voucher_id)


def _state(v: Voucher) -> str:
    return (f"{v.id} ({v.customer_id}): {v.status.value}, {v.used} used, "
            f"{v.transferred_out} transferred, {v.refunded_uses} refunded, {v.remaining} left")


def run(shop: DemoShop) -> dict[str, object]:
    say, clock = shop.say, shop.clock
    shop.scene("1. A boat pass: write-off at a store, a transfer and a refund")
    grants = VoucherCatalog()
    grants.set_grant("boat-pass", VoucherTerms(
        "boat-ride", uses=3, mode=IssueMode.PER_UNIT, validity=DaysFromIssue(30),
        store_ids={WEST_LAKE.id, BRIDGE.id}, buyer_refundable=False))

    cart = Cart.from_catalog(shop.catalog, [(PASS_SKU, 1)])
    quote = PricingPipeline().price(cart, now=clock.now, buyer=Buyer("alice"))
    number = svc.place_order(shop.uow(), shop.numbers, customer_id="alice", breakdown=quote,
                             catalog=shop.catalog, now=clock.now)
    order = shop.order(number)
    say(f"alice orders 1 × 西湖游船三次卡 (3 rides): order {number}, "
        f"{yuan(order.payable_fen)}, {order.status.value}")

    clock.advance(minutes=2)
    outcome = svc.pay_order(shop.uow(), shop.numbers, number,
                            [PaymentPart(PaymentMethod.WECHAT, order.payable_fen)],
                            transaction_id=f"wx-{number}", now=clock.now, vouchers=grants)
    uow = shop.uow()
    with uow:
        (voucher,) = uow.vouchers.by_order(number)
    say(f"alice pays {yuan(order.payable_fen)} by WeChat Pay: {outcome.value}; voucher "
        f"{voucher.id} issued with {voucher.total_uses} uses, valid at {WEST_LAKE.name} and "
        f"{BRIDGE.name} until {voucher.valid_until:%Y-%m-%d %H:%M}, "
        f"{voucher.status.value}")

    clock.advance(hours=1)
    try:
        vsvc.verify_voucher(shop.uow(), _swap_neighbours(voucher.code), verifier=CLERK_LI,
                            store=WEST_LAKE, uses=1, now=clock.now, how=VerificationMethod.TYPED)
    except MistypedCode as exc:
        say(f"{CLERK_LI.name} at {WEST_LAKE.name} types the code with two digits swapped: "
            f"refused before any lookup ({exc.reason})")
    record = vsvc.verify_voucher(shop.uow(), voucher.code, verifier=CLERK_LI, store=WEST_LAKE,
                                 uses=1, now=clock.now, how=VerificationMethod.SCAN)
    say(f"{CLERK_LI.name} scans it: {record.uses} ride written off at {record.store.name}; "
        f"{_voucher(shop, voucher.id).remaining} of 3 left")

    clock.advance(minutes=10)
    friend_id = vsvc.transfer_voucher(shop.uow(), shop.numbers, voucher.id, 1,
                                      to_customer_id="bob", now=clock.now, by=CLERK_LI.id,
                                      codes=shop.rng.getrandbits)
    friend = _voucher(shop, friend_id)
    say(f"alice gives 1 ride to her friend bob: new voucher {friend.id} with "
        f"{friend.total_uses} use and its own code")
    clock.advance(hours=2)
    vsvc.verify_voucher(shop.uow(), friend.code, verifier=CLERK_WANG, store=BRIDGE, uses=1,
                        now=clock.now, how=VerificationMethod.TYPED)
    say(f"bob rides from {BRIDGE.name}; {CLERK_WANG.name} types his code: "
        f"{_voucher(shop, friend_id).status.value}")

    clock.at(shop.day.replace(hour=17))
    refund_no = vsvc.refund_voucher(shop.uow(), shop.numbers, voucher.id, now=clock.now,
                                    by=CLERK_LI.id)
    assert refund_no is not None
    refund = shop.order(number).refund(refund_no)
    worth = " + ".join(yuan(f) for f in _per_use(shop.order(number).paid_fen, 3))
    say(f"alice cannot make the last ride; staff refund the unused use (the pass is not "
        f"refundable by the buyer, staff may): refund {refund_no} of {yuan(refund.fen)} "
        f"(the rides are worth {worth}), {refund.status.value}")
    svc.refund_result(shop.uow(), number, refund_no, PaymentMethod.WECHAT, ok=True,
                      now=clock.advance(minutes=1))
    order = shop.order(number)
    say(f"WeChat Pay confirms the refund: {order.refund(refund_no).status.value}")
    say(f"order {number}: {order.status.value}, paid {yuan(order.paid_fen)}, refunded "
        f"{yuan(order.refunded_fen)}, kept {yuan(order.paid_fen - order.refunded_fen)} "
        f"for the 2 rides taken")
    for v in (_voucher(shop, voucher.id), _voucher(shop, friend_id)):
        say(f"  voucher {_state(v)}")
    return {"order": number, "refund_fen": refund.fen, "vouchers": (voucher.id, friend_id)}
