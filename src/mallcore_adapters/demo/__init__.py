"""``mallcore demo``: a small shop run end to end on SQLite, narrated line by line.

Scenes on one database, each through the same services an app would call: a
write-off boat pass (vouchers), an order shipped, returned and refunded, a flash
sale rushed by 150 threads, and an order search over all of them.  It exists to
show the core and the storage adapter working together, and to smoke-test them
(tests/demo/).  Deterministic apart from who wins the flash sale, which it
never prints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mallcore_adapters.demo import flash, returns, search, tickets
from mallcore_adapters.demo.shop import DemoShop, remove_sqlite_files

__all__ = ["run_demo", "run_scenes"]


def run_scenes(url: str, *, fresh: bool,
               say: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the three scenes; returns what each did (order numbers …) for tests."""
    if fresh:
        remove_sqlite_files(url)
    shop = DemoShop(url, say=say)
    try:
        say(f"mallcore demo on {url} (run {shop.run}, clock {shop.clock.now:%Y-%m-%d %H:%M %Z})")
        facts: dict[str, Any] = {"run": shop.run}
        facts["tickets"] = tickets.run(shop)
        facts["returns"] = returns.run(shop)
        facts["flash"] = flash.run(shop)  # last: its race makes later numbers vary
        facts["search"] = search.run(shop, facts["returns"]["order"])
        say("")
        say("done.")
        return facts
    finally:
        shop.close()


def run_demo(url: str, *, fresh: bool) -> int:
    """The CLI's entry point (``mallcore demo [--url URL] [--keep]``)."""
    run_scenes(url, fresh=fresh)
    return 0
