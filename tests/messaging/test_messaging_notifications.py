"""Notifications from domain events: routes, phone lookup, SMS-1/3/4 applied."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from messaging_helpers import ScriptedSender, approved_template

from mallcore.coupons.batch_events import BatchPublished, CouponsDistributed
from mallcore.errors import InvalidConfiguration
from mallcore.messaging import (
    NotificationKind,
    NotificationRoute,
    Notifier,
    Outcome,
    SmsCredits,
    SmsTemplate,
)
from mallcore.orders.events import AfterSaleDecided
from mallcore.promotions.flash_sale import FlashReminder
from mallcore.services.messaging import send_notifications
from mallcore.vouchers.events import VoucherIssued

SH = ZoneInfo("Asia/Shanghai")
DAY = datetime(2024, 6, 1, 10, 0, tzinfo=SH)
PHONES = {"c1": "13800000001", "c2": "+86 138 0000 0002", "c3": None, "c4": "12345"}


def _notifier(**routes: NotificationRoute) -> Notifier:
    defaults = {
        NotificationKind.FLASH_SALE_REMINDER: NotificationRoute(
            approved_template("秒杀{sale}将于{start}开始", id="TF"),
            {"sale": "sale_id", "start": "starts_at"}),
        NotificationKind.COUPONS_DISTRIBUTED: NotificationRoute(
            approved_template("您获得{n}张优惠券", id="TC"), {"n": "count"}),
        NotificationKind.AFTER_SALE_DECIDED: NotificationRoute(
            approved_template("订单{o}售后{d}", id="TA"),
            {"o": "order_number", "d": "decision_text"}),
        NotificationKind.VOUCHER_ISSUED: NotificationRoute(
            approved_template("核销券{u}次，有效期至{until}", id="TV"),
            {"u": "uses", "until": "valid_until"}),
    }
    defaults.update({NotificationKind(k): v for k, v in routes.items()})
    return Notifier(defaults, phone_of=PHONES.get,
                    customer_of_order={"O1": "c1"}.get)


def _events(at: datetime) -> list[object]:
    return [
        FlashReminder("S1", "c1", ("K1",), at + timedelta(minutes=30), at),
        CouponsDistributed("B1", at, (("c1", ("x", "y")), ("c2", ("z", "w")), ("c3", ("v",)))),
        AfterSaleDecided("O1", at, "AS1", "rejected", "超过售后期"),
        VoucherIssued("V1", at, "O1", "L1", "c2", 3, at, at + timedelta(days=30)),
        BatchPublished("B1", at),  # not an SMS event
    ]


def test_each_event_kind_becomes_a_message_with_its_template_and_params() -> None:
    sender = ScriptedSender()
    report = send_notifications(_notifier(), _events(DAY), sender=sender,
                                credits=SmsCredits(20), now=DAY)
    sent = {(r.template_id, r.params, tuple(p.number for p in r.phones))
            for r in sender.requests}
    assert sent == {
        ("P-TF", (("sale", "S1"), ("start", "2024-06-01 10:30")), ("13800000001",)),
        ("P-TC", (("n", "2"),), ("13800000001", "13800000002")),  # one request, same params
        ("P-TA", (("o", "O1"), ("d", "已拒绝")), ("13800000001",)),
        ("P-TV", (("u", "3"), ("until", "2024-07-01")), ("13800000002",)),
    }
    assert report.counts()["sent"] == 5
    assert report.requests == 4


def test_customers_without_a_usable_phone_are_reported_not_dropped() -> None:
    report = send_notifications(_notifier(), _events(DAY), sender=ScriptedSender(),
                                credits=SmsCredits(20), now=DAY)
    unreachable = report.bucket(Outcome.UNREACHABLE)
    assert [(o.notification.customer_id, o.reason) for o in unreachable] == [
        ("c3", "the customer has no phone number")]
    assert len(report.outcomes) == 6  # every notification, once


# RULES: SMS-3
def test_notifications_due_in_quiet_hours_are_skipped_with_the_reason() -> None:
    late = datetime(2024, 6, 1, 23, 10, tzinfo=SH)
    sender = ScriptedSender()
    report = send_notifications(_notifier(), _events(late), sender=sender,
                                credits=SmsCredits(20), now=late + timedelta(hours=10))
    skipped = report.bucket(Outcome.SKIPPED_QUIET_HOURS)
    assert len(skipped) == 5
    assert "not sent later" in skipped[0].reason
    assert sender.requests == []


# RULES: SMS-4
def test_notifications_stop_when_credits_run_out() -> None:
    report = send_notifications(_notifier(), _events(DAY), sender=ScriptedSender(),
                                credits=SmsCredits(2), now=DAY)
    assert report.counts()["sent"] == 2
    assert report.counts()["skipped_no_credits"] == 3


# RULES: SMS-1
def test_a_pending_template_fails_its_notifications_and_the_others_still_go() -> None:
    pending = SmsTemplate("TP", name="p", signature="sig", content="{n}", provider_template_id="7")
    notifier = _notifier(coupons_distributed=NotificationRoute(pending, {"n": "count"}))
    report = send_notifications(notifier, _events(DAY), sender=ScriptedSender(),
                                credits=SmsCredits(20), now=DAY)
    failed = report.bucket(Outcome.FAILED)
    assert {o.notification.customer_id for o in failed} == {"c1", "c2"}
    assert all(o.code == "template_not_approved" for o in failed)
    assert report.counts()["sent"] == 3


def test_routes_are_checked_when_configured() -> None:
    t = approved_template("{a}{b}", id="TX")
    with pytest.raises(InvalidConfiguration, match="not offered"):
        Notifier({NotificationKind.COUPONS_DISTRIBUTED: NotificationRoute(
            t, {"a": "count", "b": "codes"})}, phone_of=PHONES.get)
    with pytest.raises(InvalidConfiguration, match="not mapped"):
        Notifier({NotificationKind.COUPONS_DISTRIBUTED: NotificationRoute(
            t, {"a": "count"})}, phone_of=PHONES.get)
    with pytest.raises(InvalidConfiguration, match="customer_of_order"):
        Notifier({NotificationKind.AFTER_SALE_DECIDED: NotificationRoute(
            approved_template("{o}", id="TY"), {"o": "order_number"})}, phone_of=PHONES.get)


def test_coupon_codes_never_reach_the_message() -> None:
    sender = ScriptedSender()
    send_notifications(_notifier(), _events(DAY), sender=sender, credits=SmsCredits(20),
                       now=DAY)
    values = [v for r in sender.requests for _, v in r.params]
    assert not {"x", "y", "z", "w"} & set(values)
