"""Who may not receive coupons (CUS-1): blacklisted customers get none, by any route.

A batch is told who is blocked at the moment it hands codes out: either by the
shop's ``CustomerBook`` (its blacklist) or by any predicate on customer ids.
"""

from __future__ import annotations

from collections.abc import Callable

from mallcore.customers.customer import CustomerBook

__all__ = ["Blocked", "is_blocked"]

#: Who may not receive coupons (CUS-1): a predicate on customer ids, or the book.
Blocked = Callable[[str], bool] | CustomerBook | None


def is_blocked(blocked: Blocked, customer_id: str) -> bool:
    if blocked is None:
        return False
    if isinstance(blocked, CustomerBook):
        return blocked.get(customer_id).blacklisted
    return bool(blocked(customer_id))
