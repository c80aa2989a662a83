"""PRE-6, beyond the source: deposit pre-sales (定金预售), their terms and one order's
deposit plan, step by step."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from mallcore.errors import (
    CurrencyMismatch,
    InvalidConfiguration,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
)
from mallcore.money import Money, Rate, from_fen, money
from mallcore.pricing import Buyer, Cart, CartLine, PricingPipeline
from mallcore.promotions import ALWAYS, Window
from mallcore.promotions.presale import PreSale, PreSaleItem, PreSaleRule, ShipAfterPayment
from mallcore.promotions.presale_deposit import (
    ALLOWED,
    DepositEntry,
    DepositPlan,
    DepositState,
    DepositTerms,
    EntryKind,
    Outcome,
)

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 10, 25, 10, 0, tzinfo=CST)
SALE_END = datetime(2026, 11, 1, tzinfo=CST)
BAL_START = datetime(2026, 11, 1, tzinfo=CST)
BAL_END = datetime(2026, 11, 3, tzinfo=CST)
BALANCE = Window(BAL_START, BAL_END)
S = DepositState


def terms(
    deposit: str = "20.00", *, forfeit: bool = True, multiplier: str = "1", window: Window = BALANCE
) -> DepositTerms:
    return DepositTerms(money(deposit), window, Decimal(multiplier), forfeit)


def plan(t: DepositTerms | None = None, *, units: int = 2, total: str = "200.00") -> DepositPlan:
    return DepositPlan("o1", t or terms(), units=units, total=money(total), created_at=T0)


def state_of(p: DepositPlan) -> tuple[object, ...]:
    return (p.state, tuple(p.entries), tuple(p.transitions), p.updated_at)


# ------------------------------------------------------------------ terms
# RULES: PRE-6
def test_terms_compute_the_credit_of_an_expanded_deposit() -> None:
    t = terms("10.00", multiplier="1.55")
    assert (t.deposit_fen, t.credit_fen, t.bonus_fen) == (1000, 1550, 550)
    assert t.credit == money("15.50")
    assert terms("0.03", multiplier="1.5").credit_fen == 5  # 4.5 fen rounds half-up
    assert terms().bonus_fen == 0
    assert "deposit 10.00 counts as 15.50" in t.describe()
    assert "missed balance: refunded" in terms(forfeit=False).describe()


# RULES: PRE-6
@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: terms("0.00"), "not positive"),
        (lambda: terms(multiplier="0.9"), "below 1"),
        (lambda: DepositTerms(money("1"), BALANCE, 1.5), "Decimal"),
        (lambda: terms(window=Window(BAL_START, None)), "no end"),
        (
            lambda: DepositTerms(money("1"), BALANCE, Decimal(1), "yes"),  # type: ignore[arg-type]
            "not a bool",
        ),
    ],
)
def test_bad_terms_are_refused(build: object, message: str) -> None:
    with pytest.raises(InvalidConfiguration, match=message) as exc:
        build()  # type: ignore[operator]
    assert exc.value.rule == "PRE-6"


SALE = Window(T0 - timedelta(days=5), SALE_END)


def deposit_presale(t: DepositTerms, price: str = "100.00", window: Window = SALE) -> PreSale:
    return PreSale(
        "dep", "定金预售", window, [PreSaleItem("cake", money(price))], ShipAfterPayment(3), t
    )


# RULES: PRE-6
def test_a_forfeitable_deposit_is_at_most_20_percent_of_the_price() -> None:
    deposit_presale(terms("20.00"))
    with pytest.raises(InvalidConfiguration, match="20%") as exc:
        deposit_presale(terms("20.01"))
    assert exc.value.rule == "PRE-6"
    deposit_presale(terms("50.00", forfeit=False))  # a refundable deposit (订金) has no cap


# RULES: PRE-6
def test_a_deposit_cannot_count_for_more_than_the_price_nor_end_before_the_sale() -> None:
    with pytest.raises(InvalidConfiguration, match="more than the pre-sale price"):
        deposit_presale(terms("20.00", multiplier="6"))
    deposit_presale(terms("20.00", multiplier="5"))
    with pytest.raises(InvalidConfiguration, match="must end after"):
        deposit_presale(terms(), window=Window(T0, BAL_END))
    with pytest.raises(InvalidConfiguration, match="must end after"):
        deposit_presale(terms(), window=ALWAYS)
    with pytest.raises(CurrencyMismatch):
        deposit_presale(DepositTerms(money("1", "USD"), BALANCE))


# RULES: PRE-6, PIPE-5
def test_expansion_bonus_reaches_the_order_total_and_the_plan_balance() -> None:
    t = terms("20.00", multiplier="1.5")  # 20 counts as 30
    pipeline = PricingPipeline(line_rules=[PreSaleRule(deposit_presale(t))])
    cart = Cart([CartLine("cake", "p", 2, money("120.00"))])
    b = pipeline.price(cart, now=T0, buyer=Buyer("c", "gold", Rate.zhe(9)))
    # (100 − 10 bonus) × 2 = 180, member 9折 → 162
    assert b.payable_fen == 16200
    p = DepositPlan("o1", t, units=2, total=b.payable, created_at=T0)
    assert (p.deposit_fen, p.credit_fen, p.balance_fen) == (4000, 6000, 12200)


# ------------------------------------------------------------------ the plan
# RULES: PRE-6
def test_deposit_then_balance_completes_the_plan() -> None:
    p = plan()
    assert (p.state, p.due_fen, p.paid_fen) == (S.AWAITING_DEPOSIT, 4000, 0)
    entry = p.pay_deposit(money("40.00"), now=T0)
    assert entry == DepositEntry(EntryKind.DEPOSIT, 4000, T0, S.AWAITING_BALANCE)
    assert (p.state, p.due_fen, p.paid_fen) == (S.AWAITING_BALANCE, 16000, 4000)
    p.pay_balance(money("160.00"), now=BAL_START)
    assert (p.state, p.due_fen, p.paid_fen, p.refunded_fen) == (S.COMPLETED, 0, 20000, 0)
    assert p.paid_fen == p.deposit_fen + p.balance_fen == p.total_fen
    assert p.finished
    assert [(a, b) for a, b, _ in p.transitions] == [
        (S.AWAITING_DEPOSIT, S.AWAITING_BALANCE),
        (S.AWAITING_BALANCE, S.COMPLETED),
    ]


# RULES: PRE-6
def test_balance_only_inside_its_window_and_only_the_exact_amount() -> None:
    p = plan()
    p.pay_deposit(money("40.00"), now=T0)
    before = state_of(p)
    with pytest.raises(NotAllowed, match="has not opened"):
        p.pay_balance(money("160.00"), now=BAL_START - timedelta(seconds=1))
    for wrong in ("159.99", "160.01", "200.00"):
        with pytest.raises(NotAllowed, match=r"exactly 160\.00") as exc:
            p.pay_balance(money(wrong), now=BAL_START)
        assert exc.value.rule == "PRE-6"
    with pytest.raises(CurrencyMismatch):
        p.pay_balance(money("160.00", "USD"), now=BAL_START)
    with pytest.raises(NotAllowed, match="ended"):
        p.pay_balance(money("160.00"), now=BAL_END)
    assert state_of(p) == before


# RULES: PRE-6
def test_a_missed_balance_forfeits_the_deposit_under_forfeit_terms() -> None:
    p = plan()
    p.pay_deposit(money("40.00"), now=T0)
    with pytest.raises(NotAllowed, match="open until"):
        p.settle_missed(now=BAL_END - timedelta(seconds=1))
    outcome = p.settle_missed(now=BAL_END)
    assert outcome == Outcome(S.FORFEITED, money("0.00"), money("40.00"))
    assert (p.forfeited_fen, p.refunded_fen, p.paid_fen) == (4000, 0, 4000)
    with pytest.raises(InvalidTransition) as exc:
        p.refund_deposit(now=BAL_END, reason="goodwill")
    assert exc.value.status == "forfeited"
    assert "refunded" in exc.value.action
    assert p.refunded_fen == 0


# RULES: PRE-6
def test_a_missed_balance_refunds_the_deposit_under_refund_terms() -> None:
    p = plan(terms(forfeit=False))
    p.pay_deposit(money("40.00"), now=T0)
    assert p.settle_missed(now=BAL_END + timedelta(days=9)) == Outcome(
        S.REFUNDED, money("40.00"), money("0.00")
    )
    assert p.entries[-1].kind is EntryKind.REFUND


# RULES: PRE-6
def test_the_merchant_may_refund_a_deposit_before_the_balance_whatever_the_terms() -> None:
    p = plan()
    p.pay_deposit(money("40.00"), now=T0)
    with pytest.raises(InvalidInput, match="reason"):
        p.refund_deposit(now=T0, reason=" ")
    assert p.refund_deposit(now=T0, reason="pre-sale cancelled") == Outcome(
        S.REFUNDED, money("40.00"), money("0.00")
    )
    assert p.entries[-1].reason == "pre-sale cancelled"


# RULES: PRE-6
def test_wrong_state_is_refused_naming_the_action_and_the_state() -> None:
    p = plan()
    with pytest.raises(InvalidTransition) as exc:
        p.pay_balance(money("160.00"), now=BAL_START)
    assert exc.value.status == "awaiting_deposit"
    assert "pay the balance" in exc.value.action and "completed" in exc.value.action
    with pytest.raises(InvalidTransition, match="awaiting_deposit"):
        p.settle_missed(now=BAL_END)
    p.cancel(now=T0)
    assert p.state is S.CANCELLED and p.finished
    with pytest.raises(InvalidTransition, match="while cancelled"):
        p.pay_deposit(money("40.00"), now=T0)
    done = plan()
    done.pay_deposit(money("40.00"), now=T0)
    with pytest.raises(InvalidTransition, match="while awaiting_balance"):
        done.pay_deposit(money("40.00"), now=T0)
    with pytest.raises(InvalidTransition, match="while awaiting_balance"):
        done.cancel(now=T0)


# RULES: PRE-6
def test_deposit_after_the_balance_window_is_refused_and_time_never_goes_back() -> None:
    p = plan()
    with pytest.raises(NotAllowed, match="balance window ended"):
        p.pay_deposit(money("40.00"), now=BAL_END)
    with pytest.raises(NotAllowed, match=r"exactly 40\.00"):
        p.pay_deposit(money("20.00"), now=T0)
    p.pay_deposit(money("40.00"), now=T0 + timedelta(days=1))
    with pytest.raises(InvalidInput, match="before the plan's last change"):
        p.refund_deposit(now=T0, reason="late")
    with pytest.raises(InvalidInput, match="time zone"):
        p.pay_balance(money("160.00"), now=datetime(2026, 11, 2))


# RULES: PRE-6
def test_a_plan_needs_a_total_at_least_the_deposit() -> None:
    with pytest.raises(NotAllowed, match="more than the order total"):
        plan(units=2, total="39.99")
    zero = plan(units=2, total="40.00")
    zero.pay_deposit(money("40.00"), now=T0)
    zero.pay_balance(from_fen(0), now=BAL_START)
    assert zero.state is S.COMPLETED
    with pytest.raises(InvalidInput, match="minimum"):
        plan(units=0)
    with pytest.raises(CurrencyMismatch):
        DepositPlan("o1", terms(), units=1, total=Money(10, "USD"), created_at=T0)


# RULES: PRE-6
def test_terminal_states_have_no_way_out() -> None:
    assert {s for s in S if not ALLOWED[s]} == {S.COMPLETED, S.CANCELLED, S.FORFEITED, S.REFUNDED}
    assert all(S.AWAITING_DEPOSIT not in targets for targets in ALLOWED.values())
