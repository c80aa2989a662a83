"""How an order was paid, and how each refund goes back the same way (ORD-2, AS-5)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

import attrs

from mallcore.errors import InvalidInput
from mallcore.money import allocate


class PaymentMethod(enum.StrEnum):
    WECHAT = "wechat"
    ALIPAY = "alipay"
    BALANCE = "balance"  # the mall's stored balance
    MANUAL = "manual"  # confirmed by the merchant in the back office; refunds are offline

    @property
    def online(self) -> bool:
        """Online refunds wait for the gateway's answer and may fail (AS-6)."""
        return self in (PaymentMethod.WECHAT, PaymentMethod.ALIPAY)


@attrs.frozen
class PaymentPart:
    method: PaymentMethod
    fen: int

    def __attrs_post_init__(self) -> None:
        if isinstance(self.fen, bool) or not isinstance(self.fen, int) or self.fen <= 0:
            raise InvalidInput("payment part", f"{self.fen!r} fen is not a positive amount",
                               rule="ORD-2")


@attrs.frozen
class Payment:
    """One payment of an order: its parts, the gateway's id, and who recorded it."""

    transaction_id: str
    parts: tuple[PaymentPart, ...]
    at: datetime
    confirmed_by_merchant: bool = False

    @property
    def fen(self) -> int:
        return sum(p.fen for p in self.parts)

    def by_method(self) -> dict[PaymentMethod, int]:
        out: dict[PaymentMethod, int] = {}
        for part in self.parts:
            out[part.method] = out.get(part.method, 0) + part.fen
        return out


def split_by_method(
    amount: int, remaining: Mapping[PaymentMethod, int]
) -> dict[PaymentMethod, int]:
    """AS-5 **Interpretation**: a refund of an order paid by several means goes back to
    each pro rata to what that means still has unrefunded, to the fen."""
    weights = {m.value: fen for m, fen in remaining.items() if fen > 0}
    shares = allocate(amount, weights)
    return {PaymentMethod(k): v for k, v in shares.items() if v}
