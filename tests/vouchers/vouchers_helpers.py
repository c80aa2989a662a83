"""Shared builders for the voucher tests: fixed times, stores, staff, a fake code generator."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from itertools import count

from mallcore.vouchers import Store, Verifier, Voucher, new_code

CST = timezone(timedelta(hours=8), "CST")  # the merchant's local time
T0 = datetime(2024, 10, 25, 9, 0, tzinfo=CST)

EAST = Store("S1", "东门店")
WEST = Store("S2", "西门店")
NORTH = Store("S3", "北门店")
ANY_STORE = Verifier("staff-any", "王芳")  # bound to no store: every store (VCH-3)
AT_EAST = Verifier("staff-east", "李雷", "S1")
AT_NORTH = Verifier("staff-north", "韩梅梅", "S3")


def at(*, days: float = 0, hours: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


class FakeCodes:
    """A fixed code generator: returns ``values`` in turn (the last one forever after)."""

    def __init__(self, *values: int) -> None:
        self.values = list(values)
        self.asked: list[int] = []

    def __call__(self, nbits: int, /) -> int:
        self.asked.append(nbits)
        return self.values.pop(0) if len(self.values) > 1 else self.values[0]


def code_of(value: int) -> str:
    """The code a generator returning ``value`` gives."""
    return new_code(FakeCodes(value))


def ids(prefix: str = "V") -> Callable[[], str]:
    numbers = count(1)
    return lambda: f"{prefix}{next(numbers)}"


def make_voucher(
    uses: int = 3,
    *,
    voucher_id: str = "V1",
    code_value: int = 1,
    customer_id: str = "C1",
    order_number: str = "O1",
    stores: Iterable[str] = (),
    valid_from: datetime = T0,
    valid_until: datetime | None = None,
    refundable: bool = True,
) -> Voucher:
    return Voucher(
        voucher_id, code_of(code_value), order_number=order_number, line_id="L1",
        customer_id=customer_id, uses=uses, valid_from=valid_from,
        valid_until=valid_until or valid_from + timedelta(days=30), issued_at=T0,
        store_ids=stores, type_id="ticket", buyer_refundable=refundable,
    )


def snapshot(v: Voucher) -> object:
    """Everything a refused call must leave as it was."""
    return (v.status, v.used, v.remaining, v.transferred_out, v.refunded_uses, v.valid_until,
            v.version, list(v.events), v.verifications, v.voided_at, v.refunded_at)
