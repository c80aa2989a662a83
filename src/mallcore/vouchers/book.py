"""Finding vouchers and what products grant or accept (VCH-3, VCH-8, VCH-9).

``VoucherBook`` is the in-memory collection the counter and the back office
search: by code (typed codes are checked before any lookup, so a typo reads
"mistyped", never "not found" and never someone else's voucher), by order
number, by member, inside a time range (000: "先修改开始时间和结束时间").  A
member's phone or card is resolved to customer ids by the customers module;
placed / paid time, amount and payment method come from the order.  The
verification log is read off the vouchers themselves, so it can never
disagree with them.

``VoucherCatalog`` holds VCH-9 (003 "获取/使用微信卡券ID"): buying a product
may grant a voucher type, and a product may be redeemable by presenting a
voucher of given types.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from mallcore.errors import Conflict, InvalidConfiguration, InvalidInput, NotFound
from mallcore.guards import aware, identifier
from mallcore.vouchers.codes import CodeGenerator, check, system_random
from mallcore.vouchers.issue import fresh_code, issue_vouchers
from mallcore.vouchers.model import VerificationMethod, VerificationRecord, Voucher
from mallcore.vouchers.terms import Store, Verifier, VoucherTerms

__all__ = ["VoucherBook", "VoucherCatalog"]


def _order(vouchers: Iterable[Voucher]) -> list[Voucher]:
    return sorted(vouchers, key=lambda v: (v.issued_at, v.id))


class VoucherBook:
    """Every voucher of a merchant, indexed by id and by code (codes are unique)."""

    def __init__(self) -> None:
        self._by_id: dict[str, Voucher] = {}
        self._ids_by_code: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    # ------------------------------------------------------------------ adding
    def add(self, voucher: Voucher) -> None:
        self.add_all([voucher])

    def add_all(self, vouchers: Iterable[Voucher]) -> None:
        """All or nothing: a repeated id or code refuses the whole batch (``Conflict``)."""
        batch = list(vouchers)
        ids: set[str] = set()
        codes: set[str] = set()
        for v in batch:
            if not isinstance(v, Voucher):
                raise InvalidInput("voucher", f"{v!r} is not a Voucher", rule="VCH-1")
            if v.id in self._by_id or v.id in ids:
                raise Conflict(f"voucher {v.id}", "an id already in the book", rule="VCH-1")
            if v.code in self._ids_by_code or v.code in codes:
                raise Conflict(f"voucher {v.id}", "its code is already in use", rule="VCH-1")
            ids.add(v.id)
            codes.add(v.code)
        for v in batch:
            self._by_id[v.id] = v
            self._ids_by_code[v.code] = v.id

    def issue(
        self, terms: VoucherTerms, *, order_number: str, line_id: str, customer_id: str,
        quantity: int, now: datetime, ids: Callable[[], str],
        codes: CodeGenerator = system_random,
    ) -> list[Voucher]:
        """``issue_vouchers`` with codes unique in this book, and add them (VCH-1)."""
        vouchers = issue_vouchers(terms, order_number=order_number, line_id=line_id,
                                  customer_id=customer_id, quantity=quantity, now=now, ids=ids,
                                  codes=codes, taken=self.has_code)
        self.add_all(vouchers)
        return vouchers

    # ------------------------------------------------------------------ lookups
    def has_code(self, code: str) -> bool:
        return code in self._ids_by_code

    def __iter__(self) -> Iterator[Voucher]:
        return iter(list(self._by_id.values()))

    def get(self, voucher_id: str) -> Voucher:
        voucher = self._by_id.get(identifier(voucher_id, "voucher id", "VCH-8"))
        if voucher is None:
            raise NotFound(f"voucher {voucher_id}", "no such voucher", rule="VCH-8")
        return voucher

    def by_code(self, code: str) -> Voucher:
        """The voucher of a scanned or typed code; ``MistypedCode`` before any lookup."""
        canonical = check(code)
        voucher_id = self._ids_by_code.get(canonical)
        if voucher_id is None:
            raise NotFound("verification code", "no voucher has this code", rule="VCH-3")
        return self._by_id[voucher_id]

    def by_order(self, order_number: str) -> list[Voucher]:
        order_number = identifier(order_number, "order number", "VCH-8")
        return _order(v for v in self._by_id.values() if v.order_number == order_number)

    def by_customer(self, customer_id: str) -> list[Voucher]:
        customer_id = identifier(customer_id, "customer id", "VCH-8")
        return _order(v for v in self._by_id.values() if v.customer_id == customer_id)

    def find(
        self, *, order_number: str | None = None, code: str | None = None,
        customer_ids: Iterable[str] | None = None, placed_from: datetime | None = None,
        placed_to: datetime | None = None,
    ) -> list[Voucher]:
        """VCH-8: every criterion given must hold; issue time in [placed_from, placed_to).

        ``customer_ids`` are the members a phone or card search found (000: a
        member with several cards).  A mistyped code fails, it does not match
        nothing.
        """
        wanted_code = None if code is None else check(code)
        if order_number is not None:
            order_number = identifier(order_number, "order number", "VCH-8")
        customers = None
        if customer_ids is not None:
            if isinstance(customer_ids, str):
                raise InvalidInput("customer ids", f"{customer_ids!r} is one text, not ids",
                                   rule="VCH-8")
            customers = {identifier(c, "customer id", "VCH-8") for c in customer_ids}
        start = None if placed_from is None else aware(placed_from, "placed from", "VCH-8")
        end = None if placed_to is None else aware(placed_to, "placed to", "VCH-8")
        if start is not None and end is not None and end < start:
            raise InvalidInput("time range", "ends before it starts", rule="VCH-8")
        return _order(
            v for v in self._by_id.values()
            if (order_number is None or v.order_number == order_number)
            and (wanted_code is None or v.code == wanted_code)
            and (customers is None or v.customer_id in customers)
            and (start is None or v.issued_at >= start)
            and (end is None or v.issued_at < end)
        )

    def verifications(
        self, *, store_id: str | None = None, verifier_id: str | None = None,
        since: datetime | None = None, until: datetime | None = None,
    ) -> list[VerificationRecord]:
        """The reconciliation log (VCH-3, 003 "核销记录"), by time, time range [since, until)."""
        since = None if since is None else aware(since, "since", "VCH-3")
        until = None if until is None else aware(until, "until", "VCH-3")
        records = [r for v in self._by_id.values() for r in v.verifications]
        return sorted(
            (r for r in records
             if (store_id is None or r.store.id == store_id)
             and (verifier_id is None or r.verifier.id == verifier_id)
             and (since is None or r.at >= since)
             and (until is None or r.at < until)),
            key=lambda r: r.at,
        )

    # ------------------------------------------------------------------ counter actions
    def verify(
        self, code: str, verifier: Verifier, store: Store, uses: int, now: datetime,
        how: VerificationMethod,
    ) -> VerificationRecord:
        """Look the code up (mistyped codes refused first), then verify (VCH-3)."""
        return self.by_code(code).verify(verifier, store, uses, now, how)

    def transfer(
        self, voucher_id: str, uses: int, *, to_customer_id: str, new_voucher_id: str,
        now: datetime, by: str, codes: CodeGenerator = system_random,
    ) -> Voucher:
        """VCH-4 with a fresh code unique in this book; the new voucher is added."""
        source = self.get(voucher_id)
        if new_voucher_id in self._by_id:
            raise Conflict(f"voucher {new_voucher_id}", "an id already in the book",
                           rule="VCH-4")
        code = fresh_code(codes, self.has_code, set())
        child = source.transfer(uses, to_customer_id, new_voucher_id, code, now, by)
        self.add(child)
        return child


class VoucherCatalog:
    """VCH-9: product id → the voucher type it grants; product id → types that redeem it."""

    def __init__(self) -> None:
        self._grants: dict[str, VoucherTerms] = {}
        self._redeemable: dict[str, frozenset[str]] = {}

    def set_grant(self, product_id: str, terms: VoucherTerms | None) -> None:
        """Buying ``product_id`` issues vouchers of ``terms`` (None: it grants none)."""
        product_id = identifier(product_id, "product id", "VCH-9")
        if terms is None:
            self._grants.pop(product_id, None)
            return
        if not isinstance(terms, VoucherTerms):
            raise InvalidInput("voucher terms", f"{terms!r} is not VoucherTerms", rule="VCH-9")
        self._refuse_loop(product_id, terms.type_id, self.redeemable_by(product_id))
        self._grants[product_id] = terms

    def set_redeemable_by(self, product_id: str, type_ids: Iterable[str]) -> None:
        """``product_id`` may be had by presenting a voucher of one of ``type_ids``."""
        product_id = identifier(product_id, "product id", "VCH-9")
        if isinstance(type_ids, str):
            raise InvalidInput("voucher types", f"{type_ids!r} is one text, not ids",
                               rule="VCH-9")
        types = frozenset(identifier(t, "voucher type id", "VCH-9") for t in type_ids)
        granted = self._grants.get(product_id)
        if granted is not None:
            self._refuse_loop(product_id, granted.type_id, types)
        if types:
            self._redeemable[product_id] = types
        else:
            self._redeemable.pop(product_id, None)

    @staticmethod
    def _refuse_loop(product_id: str, granted: str, redeemable: frozenset[str]) -> None:
        """A product redeemable by the very voucher it grants is a free-goods loop."""
        if granted in redeemable:
            raise InvalidConfiguration(
                f"product {product_id}",
                f"grants vouchers of type {granted} and is redeemable by them: "
                "each redemption would grant the next voucher", rule="VCH-9")

    def grants(self, product_id: str) -> VoucherTerms | None:
        return self._grants.get(identifier(product_id, "product id", "VCH-9"))

    def redeemable_by(self, product_id: str) -> frozenset[str]:
        return self._redeemable.get(identifier(product_id, "product id", "VCH-9"), frozenset())

    def redeems(self, product_id: str, voucher: Voucher) -> bool:
        """Whether presenting ``voucher`` can pay for ``product_id`` (its type is accepted)."""
        return voucher.type_id is not None and voucher.type_id in self.redeemable_by(product_id)
