"""SMS templates: a signature, a review, and no use before approval (SMS-1)."""

from __future__ import annotations

import pytest
from messaging_helpers import T0, approved_template

from mallcore.errors import InvalidInput, InvalidTransition
from mallcore.messaging import SmsTemplate, TemplateNotApproved, TemplateStatus, message_parts


def _pending() -> SmsTemplate:
    return SmsTemplate("T9", name="order", signature="微搭商城",
                       content="订单{order}已发货，单号{tracking}", provider_template_id="1234")


# RULES: SMS-1
def test_a_new_template_waits_for_review_and_cannot_be_used() -> None:
    t = _pending()
    assert t.status is TemplateStatus.PENDING
    with pytest.raises(TemplateNotApproved) as caught:
        t.require_approved("sending SMS")
    assert caught.value.rule == "SMS-1"
    assert "pending" in caught.value.reason


# RULES: SMS-1
def test_approved_template_can_be_used_rejected_one_cannot() -> None:
    ok = _pending()
    ok.approve(T0)
    ok.require_approved("sending SMS")
    assert ok.is_approved and ok.reviewed_at == T0
    no = _pending()
    no.reject("签名与内容不符", T0)
    assert no.rejection_reason == "签名与内容不符"
    with pytest.raises(TemplateNotApproved, match="rejected"):
        no.require_approved("sending SMS")


# RULES: SMS-1
def test_a_review_happens_once() -> None:
    t = _pending()
    t.approve(T0)
    with pytest.raises(InvalidTransition, match="approved"):
        t.reject("too late", T0)
    with pytest.raises(InvalidTransition):
        t.approve(T0)


# RULES: SMS-1
def test_the_signature_is_required_and_given_without_brackets() -> None:
    with pytest.raises(InvalidInput, match="signature"):
        SmsTemplate("T", name="n", signature=" ", content="x", provider_template_id="1")
    with pytest.raises(InvalidInput, match="【】"):
        SmsTemplate("T", name="n", signature="【微搭】", content="x", provider_template_id="1")


def test_params_come_in_template_order_and_must_match_exactly() -> None:
    t = _pending()
    assert t.param_names == ("order", "tracking")
    assert t.params({"tracking": "SF1", "order": 42}) == (("order", "42"), ("tracking", "SF1"))
    with pytest.raises(InvalidInput, match=r"missing \['tracking'\]"):
        t.params({"order": "1"})
    with pytest.raises(InvalidInput, match=r"unknown \['x'\]"):
        t.params({"order": "1", "tracking": "2", "x": "3"})


def test_render_puts_the_signature_first() -> None:
    t = approved_template("您好{name}")
    assert t.render((("name", "张三"),)) == "【微搭商城】您好张三"


# RULES: SMS-4
def test_long_messages_cost_one_credit_per_67_characters() -> None:
    assert message_parts("a" * 70) == 1
    assert message_parts("a" * 71) == 2
    assert message_parts("a" * 134) == 2
    assert message_parts("a" * 135) == 3
    t = approved_template("{x}")
    assert t.parts((("x", "a" * 60),)) == 1  # 6 signature characters + 60
    assert t.parts((("x", "a" * 65),)) == 2
