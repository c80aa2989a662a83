"""Scene 4: the back office finds the orders again through the SQL read models (ORD-10).

Only counts are printed for searches with many hits: which flash order is
"newest" depends on who won the race."""

from __future__ import annotations

from attrs import evolve

from mallcore.orders.search import OrderQuery, QuickFilter
from mallcore_adapters.demo.returns import TRACKING
from mallcore_adapters.demo.shop import DemoShop, yuan


def run(shop: DemoShop, tea_order: str) -> dict[str, object]:
    say, now = shop.say, shop.clock.now
    shop.scene("4. The back office searches the orders")
    start, end = shop.day, shop.end
    every = OrderQuery(placed_from=start, placed_to=end)
    queries = {
        f"waybill {TRACKING}": evolve(every, tracking_number=TRACKING),
        "closed, product name contains 耳机": evolve(every, statuses={"closed"},
                                                     product_name="耳机"),
        "to ship, physical goods": evolve(every, quick=QuickFilter.TO_SHIP,
                                          product_types={"physical"}),
        "virtual goods, paid": evolve(every, product_types={"virtual"}, statuses={"paid"}),
        "flash-sale orders paid": evolve(every, activity_types={"flash_sale"},
                                         statuses={"paid"}),
    }
    counts: dict[str, int] = {}
    uow = shop.uow()
    with uow:
        everything = uow.orders.search(every, now)
        by_status: dict[str, int] = {}
        for summary in everything:
            by_status[summary.status] = by_status.get(summary.status, 0) + 1
        say(f"{len(everything)} orders placed {shop.day:%m-%d} to {shop.end:%m-%d}: "
            + ", ".join(f"{n} {s}" for s, n in sorted(by_status.items())))
        for label, query in queries.items():
            hits = uow.orders.search(query, now)
            counts[label] = len(hits)
            if len(hits) == 1:
                (h,) = hits
                say(f"  {label}: {h.number}, {h.status}, {yuan(h.total_fen)}, "
                    f"{'/'.join(sorted(h.product_names))}")
            else:
                say(f"  {label}: {len(hits)} orders")
        (hit,) = uow.orders.search(queries[f"waybill {TRACKING}"], now)
    assert hit.number == tea_order
    return {"by_status": by_status, "searches": counts}
