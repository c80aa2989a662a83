"""Delivery through the port: provider-sized batches, credits, one outcome per number."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from messaging_helpers import ScriptedSender, approved_template, phones

from mallcore.messaging import (
    Outcome,
    ProviderRefused,
    SmsCredits,
    SmsTemplate,
    TemplateNotApproved,
    batches,
    deliver,
)

PARAMS = (("name", "会员"),)


def test_450_numbers_go_in_three_provider_sized_requests() -> None:
    sender = ScriptedSender(max_batch=200)
    report = deliver(approved_template(), PARAMS, phones(450), sender=sender,
                     credits=SmsCredits(1000))
    assert [len(r.phones) for r in sender.requests] == [200, 200, 50]
    assert report.requests == 3
    assert len(report.sent) == 450
    assert report.credits_spent == 450
    assert [len(b) for b in batches(phones(450), 200)] == [200, 200, 50]


def test_request_carries_the_provider_template_signature_and_params() -> None:
    sender = ScriptedSender()
    deliver(approved_template(), PARAMS, phones(1), sender=sender, credits=SmsCredits(5))
    r = sender.requests[0]
    assert (r.template_id, r.signature, r.params) == ("P-T1", "微搭商城", PARAMS)


# RULES: SMS-1
def test_an_unapproved_template_sends_nothing() -> None:
    t = SmsTemplate("T2", name="n", signature="s1", content="hi", provider_template_id="9")
    sender = ScriptedSender()
    with pytest.raises(TemplateNotApproved):
        deliver(t, (), phones(3), sender=sender, credits=SmsCredits(10))
    assert sender.requests == []


# RULES: SMS-4
def test_sending_stops_when_credits_run_out_and_the_rest_is_reported() -> None:
    sender = ScriptedSender(max_batch=200)
    credits = SmsCredits(250)
    report = deliver(approved_template(), PARAMS, phones(450), sender=sender, credits=credits)
    assert len(report.sent) == 250
    assert len(report.skipped_no_credits) == 200
    assert all("credits ran out" in o.reason for o in report.skipped_no_credits)
    assert credits.balance == 0
    assert sender.sent_numbers == [p.number for p in phones(250)]


# RULES: SMS-4
def test_failed_numbers_give_their_credit_back_for_later_numbers() -> None:
    sender = ScriptedSender(max_batch=2)
    sender.fail = {"13800000000": "LimitExceeded.PhoneNumberDailyLimit"}
    report = deliver(approved_template(), PARAMS, phones(3), sender=sender,
                     credits=SmsCredits(2))
    assert [o.outcome for o in report.outcomes] == [Outcome.FAILED, Outcome.SENT, Outcome.SENT]
    assert report.failed[0].code == "LimitExceeded.PhoneNumberDailyLimit"
    assert report.credits_spent == 2


# RULES: SMS-4
def test_long_messages_cost_several_credits_each() -> None:
    t = approved_template("{name}" + "好" * 70)
    credits = SmsCredits(5)
    report = deliver(t, PARAMS, phones(3), sender=ScriptedSender(), credits=credits)
    assert len(report.sent) == 2 and report.credits_spent == 4
    assert credits.balance == 1
    assert len(report.skipped_no_credits) == 1


# RULES: SMS-4
def test_provider_out_of_balance_stops_and_reports_the_rest_as_no_credits() -> None:
    sender = ScriptedSender(max_batch=3)
    sender.no_balance_after = 4
    credits = SmsCredits(100)
    report = deliver(approved_template(), PARAMS, phones(9), sender=sender, credits=credits)
    assert len(report.sent) == 4
    assert len(report.skipped_no_credits) == 5
    assert report.out_of_balance
    assert len(sender.requests) == 2  # the third request is never made
    assert credits.balance == 96


def test_a_provider_error_stops_sending_and_every_number_is_reported() -> None:
    sender = ScriptedSender(max_batch=2)
    sender.raise_on[1] = ProviderRefused("scripted", "AuthFailure.SignatureFailure", "bad sig")
    credits = SmsCredits(10)
    report = deliver(approved_template(), PARAMS, phones(5), sender=sender, credits=credits)
    assert [o.outcome for o in report.outcomes] == [Outcome.SENT] * 2 + [Outcome.FAILED] * 3
    assert report.outcomes[2].reason.startswith("request refused")
    assert report.outcomes[4].reason.startswith("not attempted")
    assert report.outcomes[4].code == "AuthFailure.SignatureFailure"
    assert credits.balance == 8
    assert len(sender.requests) == 2


def test_a_timeout_is_reported_as_outcome_unknown_not_resent() -> None:
    sender = ScriptedSender()
    sender.raise_on[0] = ProviderRefused("scripted", "Timeout", "read", outcome_unknown=True)
    report = deliver(approved_template(), PARAMS, phones(2), sender=sender,
                     credits=SmsCredits(5))
    assert all("outcome unknown" in o.reason for o in report.failed)
    assert len(sender.requests) == 1


def test_a_number_the_provider_did_not_answer_for_is_failed_not_assumed_sent() -> None:
    sender = ScriptedSender()
    sender.drop = {"13800000001"}
    credits = SmsCredits(5)
    report = deliver(approved_template(), PARAMS, phones(2), sender=sender, credits=credits)
    assert report.outcomes[1].outcome is Outcome.FAILED
    assert report.outcomes[1].code == "NoStatus"
    assert credits.balance == 4


def test_core_logs_mask_numbers(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    deliver(approved_template(), PARAMS, phones(3), sender=ScriptedSender(),
            credits=SmsCredits(5))
    assert caplog.records
    assert "13800000000" not in caplog.text
    assert "138****0000" in caplog.text


def test_report_reprs_mask_numbers() -> None:
    report = deliver(approved_template(), PARAMS, phones(2), sender=ScriptedSender(),
                     credits=SmsCredits(5))
    assert "13800000001" not in repr(report)


# RULES: SMS-2, SMS-4
@settings(max_examples=120, deadline=None)
@given(
    n=st.integers(0, 60), batch=st.integers(1, 25), balance=st.integers(0, 80),
    failing=st.sets(st.integers(0, 59), max_size=15),
    dry_after=st.none() | st.integers(0, 60),
    crash_at=st.none() | st.integers(0, 5),
)
def test_every_number_ends_in_exactly_one_bucket_and_credits_never_go_negative(
    n: int, batch: int, balance: int, failing: set[int], dry_after: int | None,
    crash_at: int | None,
) -> None:
    targets = phones(n) + phones(n // 3)  # with duplicates
    sender = ScriptedSender(max_batch=batch)
    sender.fail = {f"138{i:08d}": "Fail" for i in failing}
    sender.no_balance_after = dry_after
    if crash_at is not None:
        sender.raise_on[crash_at] = ProviderRefused("scripted", "Boom", "x")
    credits = SmsCredits(balance)
    report = deliver(approved_template(), PARAMS, targets, sender=sender, credits=credits)
    distinct = list(dict.fromkeys(targets))
    assert [o.phone for o in report.outcomes] == distinct
    assert sum(report.counts().values()) == len(distinct)
    assert credits.balance >= 0
    assert credits.balance == balance - report.credits_spent
    assert report.credits_spent == len(report.sent)
    assert all(len(r.phones) <= batch for r in sender.requests)
    asked = [p for r in sender.requests for p in r.phones]
    assert len(asked) == len(set(asked))  # no number asked twice
    assert {o.phone for o in report.sent} <= set(asked)
