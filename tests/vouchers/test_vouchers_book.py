"""Finding vouchers (VCH-8), looking codes up after checking them (VCH-3), the
verification log, and what products grant or accept (VCH-9)."""

from __future__ import annotations

import pytest
from vouchers_helpers import ANY_STORE, AT_EAST, EAST, WEST, FakeCodes, at, code_of, ids

from mallcore.errors import Conflict, InvalidConfiguration, InvalidInput, NotFound
from mallcore.vouchers import (
    DaysFromIssue,
    IssueMode,
    MistypedCode,
    VerificationMethod,
    Voucher,
    VoucherBook,
    VoucherCatalog,
    VoucherStatus,
    VoucherTerms,
    display,
)

SCAN = VerificationMethod.SCAN
PASS = VoucherTerms("spa-pass", 2, IssueMode.PER_UNIT, DaysFromIssue(30))


@pytest.fixture
def book() -> VoucherBook:
    """Three orders of two members over three days: V1, V2 (O1, C1), W1 (O2, C2), X1 (O3, C1)."""
    b = VoucherBook()
    b.issue(PASS, order_number="O1", line_id="L1", customer_id="C1", quantity=2, now=at(days=0),
            ids=ids("V"), codes=FakeCodes(101, 102))
    b.issue(PASS, order_number="O2", line_id="L1", customer_id="C2", quantity=1, now=at(days=1),
            ids=ids("W"), codes=FakeCodes(201))
    b.issue(PASS, order_number="O3", line_id="L1", customer_id="C1", quantity=1, now=at(days=2),
            ids=ids("X"), codes=FakeCodes(301))
    return b


def names(vouchers: list[Voucher]) -> list[str]:
    return [v.id for v in vouchers]


# RULES: VCH-3
def test_by_code_accepts_what_staff_type_or_scan(book: VoucherBook) -> None:
    assert book.by_code(code_of(201)).id == "W1"
    assert book.by_code(display(code_of(201))).id == "W1"
    assert book.by_code("-".join(display(code_of(201)).split())).id == "W1"


# RULES: VCH-3
def test_a_mistyped_code_fails_as_mistyped_before_any_lookup(book: VoucherBook) -> None:
    real = code_of(201)
    near_miss = real[:3] + str((int(real[3]) + 1) % 10) + real[4:]
    with pytest.raises(MistypedCode):  # not NotFound, and never another voucher
        book.by_code(near_miss)
    with pytest.raises(MistypedCode):
        book.verify(near_miss, ANY_STORE, EAST, 1, at(days=1), SCAN)
    with pytest.raises(NotFound) as err:  # well formed, but nobody holds it
        book.by_code(code_of(999))
    assert err.value.rule == "VCH-3"


# RULES: VCH-8
def test_by_order_and_by_customer(book: VoucherBook) -> None:
    assert names(book.by_order("O1")) == ["V1", "V2"]
    assert names(book.by_customer("C1")) == ["V1", "V2", "X1"]
    assert book.by_order("O9") == []
    assert book.get("W1").order_number == "O2"
    with pytest.raises(NotFound):
        book.get("nope")


# RULES: VCH-8
def test_find_by_order_code_or_members_inside_a_time_range(book: VoucherBook) -> None:
    assert names(book.find(order_number="O1")) == ["V1", "V2"]
    assert names(book.find(code=display(code_of(301)))) == ["X1"]
    assert names(book.find(customer_ids=["C2"])) == ["W1"]
    assert names(book.find(customer_ids=["C1", "C2"], placed_from=at(days=1))) == ["W1", "X1"]
    # [placed_from, placed_to): a voucher issued exactly at the end is outside
    assert names(book.find(placed_from=at(days=0), placed_to=at(days=2))) == ["V1", "V2", "W1"]
    assert book.find(order_number="O1", placed_from=at(days=1)) == []
    assert book.find(order_number="O1", customer_ids=["C2"]) == []
    assert names(book.find()) == ["V1", "V2", "W1", "X1"]


# RULES: VCH-8
@pytest.mark.parametrize(
    ("criteria", "error"),
    [
        ({"code": "1234"}, MistypedCode),
        ({"customer_ids": "C1"}, InvalidInput),
        ({"placed_from": at(days=2), "placed_to": at(days=1)}, InvalidInput),
        ({"placed_from": at(days=1).replace(tzinfo=None)}, InvalidInput),
    ],
)
def test_find_refuses_bad_criteria(book: VoucherBook, criteria: dict[str, object],
                                   error: type[Exception]) -> None:
    with pytest.raises(error):
        book.find(**criteria)  # type: ignore[arg-type]


# RULES: VCH-3
def test_the_verification_log_is_read_off_the_vouchers(book: VoucherBook) -> None:
    a = book.verify(display(code_of(102)), ANY_STORE, WEST, 1, at(days=3), SCAN)
    b = book.verify(code_of(201), AT_EAST, EAST, 2, at(days=2), VerificationMethod.WEB)
    c = book.get("V1").verify(AT_EAST, EAST, 1, at(days=4), SCAN)  # directly on the voucher
    assert book.verifications() == [b, a, c]
    assert book.verifications(store_id="S1") == [b, c]
    assert book.verifications(verifier_id="staff-any") == [a]
    assert book.verifications(since=at(days=3), until=at(days=4)) == [a]
    assert book.get("W1").status is VoucherStatus.VERIFIED


# RULES: VCH-4
def test_a_transfer_through_the_book_gets_a_fresh_code_and_is_found(book: VoucherBook) -> None:
    child = book.transfer("V1", 1, to_customer_id="C2", new_voucher_id="T1", now=at(days=1.5),
                          by="staff-any", codes=FakeCodes(101, 201, 555))  # two codes in use
    assert child.code == code_of(555)
    assert book.by_code(code_of(555)) is child
    assert names(book.by_customer("C2")) == ["W1", "T1"]
    with pytest.raises(Conflict):
        book.transfer("V2", 1, to_customer_id="C2", new_voucher_id="T1", now=at(days=1),
                      by="staff-any", codes=FakeCodes(777))
    assert book.get("V2").remaining == 2  # the refused transfer took nothing


# RULES: VCH-1
def test_adding_repeats_is_refused_all_or_nothing(book: VoucherBook) -> None:
    before = len(book)
    other = VoucherBook()
    fresh, dup_code = other.issue(PASS, order_number="O8", line_id="L1", customer_id="C3",
                                  quantity=2, now=at(days=5), ids=ids("Y"),
                                  codes=FakeCodes(800, 101))
    with pytest.raises(Conflict):
        book.add_all([fresh, dup_code])
    assert len(book) == before
    with pytest.raises(NotFound):
        book.get(fresh.id)
    with pytest.raises(Conflict):
        book.add(book.get("V1"))


# RULES: VCH-1
def test_issuing_through_the_book_never_reuses_a_code(book: VoucherBook) -> None:
    [v] = book.issue(PASS, order_number="O4", line_id="L1", customer_id="C3", quantity=1,
                     now=at(days=3), ids=ids("Z"), codes=FakeCodes(101, 301, 401))
    assert v.code == code_of(401)


# RULES: VCH-9
def test_catalog_products_grant_or_are_redeemable_by_voucher_types() -> None:
    catalog = VoucherCatalog()
    catalog.set_grant("spa-ticket", PASS)
    catalog.set_redeemable_by("massage", ["spa-pass", "gift-card"])
    assert catalog.grants("spa-ticket") is PASS
    assert catalog.grants("massage") is None
    assert catalog.redeemable_by("massage") == {"spa-pass", "gift-card"}
    assert catalog.redeemable_by("spa-ticket") == frozenset()
    b = VoucherBook()
    [v] = b.issue(PASS, order_number="O1", line_id="L1", customer_id="C1", quantity=1,
                  now=at(), ids=ids(), codes=FakeCodes(1))
    assert catalog.redeems("massage", v)
    assert not catalog.redeems("spa-ticket", v)
    catalog.set_redeemable_by("massage", [])
    catalog.set_grant("spa-ticket", None)
    assert not catalog.redeems("massage", v)
    assert catalog.grants("spa-ticket") is None


# RULES: VCH-9
def test_a_product_redeemable_by_the_voucher_it_grants_is_refused() -> None:
    catalog = VoucherCatalog()
    catalog.set_grant("p1", PASS)
    with pytest.raises(InvalidConfiguration) as err:
        catalog.set_redeemable_by("p1", ["spa-pass"])
    assert err.value.rule == "VCH-9"
    assert catalog.redeemable_by("p1") == frozenset()
    other = VoucherCatalog()
    other.set_redeemable_by("p1", ["spa-pass"])
    with pytest.raises(InvalidConfiguration):
        other.set_grant("p1", PASS)
    assert other.grants("p1") is None
    with pytest.raises(InvalidInput):
        other.set_redeemable_by("p2", "spa-pass")
