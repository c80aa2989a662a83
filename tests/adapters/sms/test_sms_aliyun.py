"""Alibaba Cloud SendSms / SendBatchSms over real HTTP; the loopback fake checks signatures."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import httpx
import pytest

from mallcore.messaging import (
    DeliveryState,
    Outcome,
    Phone,
    SmsCredits,
    SmsRequest,
    SmsTemplate,
    deliver,
)
from mallcore_adapters.sms import AliyunSmsSender, SmsAuthFailed, SmsRequestInvalid
from mallcore_adapters.sms.fake import FakeAliyunSms

PARAMS = (("code", "123456"),)


def _phones(n: int) -> list[Phone]:
    return [Phone(f"137{i:08d}") for i in range(n)]


def _request(n: int = 2) -> SmsRequest:
    return SmsRequest("SMS_71390007", "阿里云短信测试", PARAMS, tuple(_phones(n)))


def _template() -> SmsTemplate:
    t = SmsTemplate("T1", name="code", signature="阿里云短信测试", content="验证码{code}",
                    provider_template_id="SMS_71390007")
    t.approve(datetime(2024, 1, 1, tzinfo=UTC))
    return t


def _sender(fake: FakeAliyunSms, **kw: object) -> AliyunSmsSender:
    return AliyunSmsSender(access_key_id=fake.access_key_id,
                           access_key_secret=str(kw.pop("secret", fake.access_key_secret)),
                           endpoint=fake.url, **kw)  # type: ignore[arg-type]


def test_send_sms_is_signed_accepted_and_reports_each_number(
    aliyun: AliyunSmsSender, aliyun_fake: FakeAliyunSms
) -> None:
    statuses = aliyun.send(_request(2))
    assert [(s.phone, s.state, s.code) for s in statuses] == [
        (p, DeliveryState.SENT, "OK") for p in _phones(2)]
    params = dict(parse_qsl(aliyun_fake.requests[0].body.decode()))
    assert params["PhoneNumbers"] == "13700000000,13700000001"
    assert params["SignName"] == "阿里云短信测试"
    assert json.loads(params["TemplateParam"]) == {"code": "123456"}
    assert params["Action"] == "SendSms" and params["Version"] == "2017-05-25"
    assert statuses[0].serial and statuses[0].serial == statuses[1].serial  # one BizId


def test_send_batch_sms_takes_json_arrays_of_at_most_100(aliyun_fake: FakeAliyunSms) -> None:
    sender = _sender(aliyun_fake, action="SendBatchSms")
    report = deliver(_template(), PARAMS, _phones(250), sender=sender, credits=SmsCredits(300))
    assert [len(r.numbers) for r in aliyun_fake.requests] == [100, 100, 50]
    assert len(report.sent) == 250
    params = dict(parse_qsl(aliyun_fake.requests[2].body.decode()))
    assert json.loads(params["TemplateParamJson"]) == [{"code": "123456"}] * 50
    sender.close()


def test_a_tampered_parameter_fails_with_signature_does_not_match(
    aliyun: AliyunSmsSender, aliyun_fake: FakeAliyunSms
) -> None:
    params = aliyun.params(_request(1))
    params["PhoneNumbers"] = "13700000009"
    answer = httpx.post(aliyun_fake.url + "/", data=params)
    assert answer.status_code == 400
    assert answer.json()["Code"] == "SignatureDoesNotMatch"


def test_a_wrong_secret_is_a_typed_auth_error(aliyun_fake: FakeAliyunSms) -> None:
    sender = _sender(aliyun_fake, secret="wrong")
    with pytest.raises(SmsAuthFailed) as caught:
        sender.send(_request())
    assert caught.value.provider_code == "SignatureDoesNotMatch"
    sender.close()


def test_a_stale_timestamp_is_refused(aliyun_fake: FakeAliyunSms) -> None:
    sender = _sender(aliyun_fake, clock=lambda: datetime.now(UTC) - timedelta(minutes=16))
    with pytest.raises(SmsAuthFailed, match=r"InvalidTimeStamp\.Expired"):
        sender.send(_request())
    sender.close()


def test_a_reused_nonce_is_refused(aliyun_fake: FakeAliyunSms) -> None:
    sender = _sender(aliyun_fake, nonce=lambda: "same-nonce")
    sender.send(_request())
    with pytest.raises(SmsAuthFailed, match="SignatureNonceUsed"):
        sender.send(_request())
    sender.close()


def test_a_request_level_business_error_fails_every_number_of_that_request(
    aliyun_fake: FakeAliyunSms
) -> None:
    sender = _sender(aliyun_fake, action="SendBatchSms")
    aliyun_fake.fail_numbers = {"13700000150": "isv.BUSINESS_LIMIT_CONTROL"}
    report = deliver(_template(), PARAMS, _phones(250), sender=sender, credits=SmsCredits(300))
    outcomes = [o.outcome for o in report.outcomes]
    assert outcomes == [Outcome.SENT] * 100 + [Outcome.FAILED] * 100 + [Outcome.SENT] * 50
    assert {o.code for o in report.failed} == {"isv.BUSINESS_LIMIT_CONTROL"}
    sender.close()


def test_account_out_of_money_reports_the_rest_as_no_credits(
    aliyun: AliyunSmsSender, aliyun_fake: FakeAliyunSms
) -> None:
    aliyun_fake.balance = 1500
    report = deliver(_template(), PARAMS, _phones(2500), sender=aliyun,
                     credits=SmsCredits(5000))
    assert len(report.sent) == 1000
    assert len(report.skipped_no_credits) == 1500
    assert report.skipped_no_credits[0].code == "isv.AMOUNT_NOT_ENOUGH"
    assert len(aliyun_fake.requests) == 2


def test_too_many_numbers_is_a_typed_error(
    aliyun: AliyunSmsSender, aliyun_fake: FakeAliyunSms
) -> None:
    aliyun_fake.next_error = "isv.MOBILE_COUNT_OVER_LIMIT"
    with pytest.raises(SmsRequestInvalid):
        aliyun.send(_request())


def test_logs_never_show_a_full_number(
    aliyun: AliyunSmsSender, aliyun_fake: FakeAliyunSms, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    aliyun_fake.fail_numbers = {"13700000001": "isv.BUSINESS_LIMIT_CONTROL"}
    deliver(_template(), PARAMS, _phones(2), sender=aliyun, credits=SmsCredits(10))
    assert "isv.BUSINESS_LIMIT_CONTROL" in caplog.text
    for p in _phones(2):
        assert p.number not in caplog.text
    assert aliyun_fake.access_key_secret not in repr(aliyun)
