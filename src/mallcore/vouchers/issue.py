"""Issuing vouchers for a paid order line (VCH-1).

One voucher per unit bought (each with the type's uses) or one voucher for
the line with uses × quantity, as the terms say.  Ids and codes come from the
caller (``ids``, ``codes``): the core stays deterministic under test.

Codes are random, so two can collide: by the birthday bound, among 16 million
48-bit codes a repeat is likely.  Codes are therefore drawn again when they
repeat within the batch or when ``taken`` says one is in use; a generator
that keeps repeating is broken and refused (``Conflict``) rather than looped on.

An order whose fixed window has already closed still gets its vouchers: the
buyer has paid, and staff can change the validity or refund (VCH-6, VCH-7);
refusing to sell it is the catalogue's job, before payment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mallcore.errors import Conflict, InvalidInput
from mallcore.guards import aware, identifier
from mallcore.vouchers.codes import CodeGenerator, new_code, system_random
from mallcore.vouchers.model import Voucher
from mallcore.vouchers.terms import VoucherTerms

__all__ = ["MAX_DRAWS", "issue_vouchers"]

MAX_DRAWS = 8  # a fresh 48-bit code repeats with odds far below 1 in 10**6 per draw


def _never_taken(code: str) -> bool:
    return False


def fresh_code(codes: CodeGenerator, taken: Callable[[str], bool], seen: set[str]) -> str:
    """A code neither in ``seen`` nor ``taken``, drawn at most ``MAX_DRAWS`` times."""
    for _ in range(MAX_DRAWS):
        code = new_code(codes)
        if code not in seen and not taken(code):
            seen.add(code)
            return code
    raise Conflict("issuing a verification code",
                   f"{MAX_DRAWS} draws in a row gave codes already in use; "
                   "the code generator is not random", rule="VCH-1")


def issue_vouchers(
    terms: VoucherTerms,
    *,
    order_number: str,
    line_id: str,
    customer_id: str,
    quantity: int,
    now: datetime,
    ids: Callable[[], str],
    codes: CodeGenerator = system_random,
    taken: Callable[[str], bool] = _never_taken,
) -> list[Voucher]:
    """The vouchers that buying ``quantity`` units under ``terms`` issues (VCH-1)."""
    if not isinstance(terms, VoucherTerms):
        raise InvalidInput("voucher terms", f"{terms!r} is not VoucherTerms", rule="VCH-1")
    now = aware(now, "now", "VCH-1")
    order_number = identifier(order_number, "order number", "VCH-1")
    line_id = identifier(line_id, "order line id", "VCH-1")
    customer_id = identifier(customer_id, "customer id", "VCH-1")
    plan = terms.uses_per_voucher(quantity)
    valid_from, valid_until = terms.validity.window(now)
    seen_ids: set[str] = set()
    seen_codes: set[str] = set()
    vouchers = []
    for uses in plan:
        voucher_id = identifier(ids(), "voucher id", "VCH-1")
        if voucher_id in seen_ids:
            raise Conflict(f"voucher id {voucher_id}", "given twice in one issue", rule="VCH-1")
        seen_ids.add(voucher_id)
        vouchers.append(Voucher(
            voucher_id, fresh_code(codes, taken, seen_codes), order_number=order_number,
            line_id=line_id, customer_id=customer_id, uses=uses, valid_from=valid_from,
            valid_until=valid_until, issued_at=now, store_ids=terms.store_ids,
            type_id=terms.type_id, buyer_refundable=terms.buyer_refundable,
        ))
    return vouchers
