"""Campaigns through the service: due time, quiet hours, test sends (SMS-1..4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from messaging_helpers import ScriptedSender, approved_template

from mallcore.errors import InvalidInput, InvalidTransition, NotAllowed
from mallcore.messaging import (
    CampaignStatus,
    Outcome,
    QuietHours,
    SmsCampaign,
    SmsCredits,
    SmsTemplate,
    TemplateNotApproved,
)
from mallcore.services.messaging import run_due_campaign, send_campaign_test

SH = ZoneInfo("Asia/Shanghai")
NUMBERS = "13800000001\n+86 138 0000 0002\n13800000001\nnot-a-number"


def _campaign(send_at: datetime) -> tuple[SmsCampaign, SmsTemplate]:
    t = approved_template()
    return SmsCampaign("C1", name="618", template=t, params={"name": "会员"},
                       recipients=NUMBERS, send_at=send_at), t


# RULES: SMS-2
def test_a_campaign_keeps_distinct_numbers_and_says_what_was_refused() -> None:
    c, _ = _campaign(datetime(2024, 6, 1, 10, tzinfo=SH))
    assert len(c.recipients) == 2
    assert c.recipients.merged == 1
    assert [r.line for r in c.recipients.refused] == [4]
    assert c.status is CampaignStatus.SCHEDULED


# RULES: SMS-1
def test_a_campaign_needs_an_approved_template() -> None:
    t = SmsTemplate("T5", name="n", signature="sig", content="hi", provider_template_id="5")
    with pytest.raises(TemplateNotApproved):
        SmsCampaign("C", name="n", template=t, recipients="13800000001",
                    send_at=datetime(2024, 6, 1, 10, tzinfo=SH))


# RULES: SMS-2
def test_a_due_campaign_is_sent_once_and_completed() -> None:
    at = datetime(2024, 6, 1, 10, tzinfo=SH)
    c, t = _campaign(at)
    sender, credits = ScriptedSender(), SmsCredits(10)
    report = run_due_campaign(c, t, sender=sender, credits=credits, now=at + timedelta(minutes=1))
    assert len(report.sent) == 2
    assert c.status is CampaignStatus.COMPLETED and c.report == report
    with pytest.raises(InvalidTransition, match="completed"):
        run_due_campaign(c, t, sender=sender, credits=credits, now=at + timedelta(hours=1))
    assert len(sender.requests) == 1


# RULES: SMS-2
def test_a_campaign_is_not_sent_before_its_time() -> None:
    at = datetime(2024, 6, 1, 10, tzinfo=SH)
    c, t = _campaign(at)
    with pytest.raises(NotAllowed, match="not due until"):
        run_due_campaign(c, t, sender=ScriptedSender(), credits=SmsCredits(5),
                         now=at - timedelta(seconds=1))
    assert c.status is CampaignStatus.SCHEDULED


# RULES: SMS-3
@pytest.mark.parametrize(("due", "now"), [
    (datetime(2024, 6, 1, 23, 0, tzinfo=SH), datetime(2024, 6, 1, 23, 0, tzinfo=SH)),
    (datetime(2024, 6, 2, 7, 59, tzinfo=SH), datetime(2024, 6, 2, 9, 0, tzinfo=SH)),
    (datetime(2024, 6, 1, 22, 30, tzinfo=SH), datetime(2024, 6, 1, 23, 5, tzinfo=SH)),
    (datetime(2024, 6, 1, 22, 30, tzinfo=SH), datetime(2024, 6, 2, 8, 30, tzinfo=SH)),
])
def test_due_in_or_across_quiet_hours_is_skipped_and_never_sent_later(
    due: datetime, now: datetime
) -> None:
    c, t = _campaign(due)
    sender = ScriptedSender()
    report = run_due_campaign(c, t, sender=sender, credits=SmsCredits(5), now=now)
    assert len(report.skipped_quiet_hours) == 2
    assert sender.requests == []
    assert c.status is CampaignStatus.SKIPPED
    assert c.skip_reason is not None and "quiet hours 23:00–08:00" in c.skip_reason
    with pytest.raises(InvalidTransition, match="skipped"):
        run_due_campaign(c, t, sender=sender, credits=SmsCredits(5),
                         now=now + timedelta(days=1))


# RULES: SMS-3
def test_due_at_eight_sharp_is_sent() -> None:
    at = datetime(2024, 6, 2, 8, 0, tzinfo=SH)
    c, t = _campaign(at)
    report = run_due_campaign(c, t, sender=ScriptedSender(), credits=SmsCredits(5), now=at)
    assert len(report.sent) == 2


# RULES: SMS-3
def test_quiet_hours_follow_the_merchant_zone() -> None:
    tokyo = QuietHours(zone="Asia/Tokyo")
    at = datetime(2024, 6, 1, 22, 30, tzinfo=SH)  # 23:30 in Tokyo
    c, t = _campaign(at)
    report = run_due_campaign(c, t, sender=ScriptedSender(), credits=SmsCredits(5), now=at,
                              quiet_hours=tokyo)
    assert len(report.skipped_quiet_hours) == 2


# RULES: SMS-4
def test_campaign_without_enough_credits_reports_the_unsent() -> None:
    at = datetime(2024, 6, 1, 10, tzinfo=SH)
    c, t = _campaign(at)
    credits = SmsCredits(1)
    report = run_due_campaign(c, t, sender=ScriptedSender(), credits=credits, now=at)
    assert [o.outcome for o in report.outcomes] == [Outcome.SENT, Outcome.SKIPPED_NO_CREDITS]
    assert credits.balance == 0


# RULES: SMS-2
def test_a_test_send_goes_to_one_number_and_is_recorded() -> None:
    at = datetime(2024, 6, 1, 10, tzinfo=SH)
    c, t = _campaign(at + timedelta(days=1))
    sender, credits = ScriptedSender(), SmsCredits(3)
    outcome = send_campaign_test(c, t, "+86 139-0000-0009", sender=sender, credits=credits,
                                 now=at)
    assert outcome.outcome is Outcome.SENT
    assert [p.number for p in sender.requests[0].phones] == ["13900000009"]
    assert c.tests == [outcome] and credits.balance == 2
    assert c.status is CampaignStatus.SCHEDULED


# RULES: SMS-3
def test_a_test_send_in_quiet_hours_is_skipped() -> None:
    c, t = _campaign(datetime(2024, 6, 2, 10, tzinfo=SH))
    sender = ScriptedSender()
    outcome = send_campaign_test(c, t, "13900000009", sender=sender, credits=SmsCredits(3),
                                 now=datetime(2024, 6, 1, 23, 30, tzinfo=SH))
    assert outcome.outcome is Outcome.SKIPPED_QUIET_HOURS
    assert sender.requests == []


def test_a_naive_now_is_refused() -> None:
    c, t = _campaign(datetime(2024, 6, 1, 10, tzinfo=SH))
    with pytest.raises(InvalidInput, match="no time zone"):
        run_due_campaign(c, t, sender=ScriptedSender(), credits=SmsCredits(3),
                         now=datetime(2024, 6, 1, 11))
