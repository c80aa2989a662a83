"""Tencent Cloud SendSms over real HTTP to a loopback fake that checks TC3 signatures."""

from __future__ import annotations

import json
import logging
import socket
import time
from datetime import UTC, datetime

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
from mallcore_adapters.sms import (
    SmsAuthFailed,
    SmsBalanceExhausted,
    SmsProviderUnavailable,
    SmsRequestInvalid,
    SmsTemplateRefused,
    TencentSmsSender,
)
from mallcore_adapters.sms.fake import FakeTencentSms

PARAMS = (("code", "123456"), ("minutes", "5"))


def _phones(n: int) -> list[Phone]:
    return [Phone(f"139{i:08d}") for i in range(n)]


def _request(n: int = 2) -> SmsRequest:
    return SmsRequest("1110", "微搭商城", PARAMS, tuple(_phones(n)))


def _template() -> SmsTemplate:
    t = SmsTemplate("T1", name="code", signature="微搭商城",
                    content="验证码{code}，{minutes}分钟有效", provider_template_id="1110")
    t.approve(datetime(2024, 1, 1, tzinfo=UTC))
    return t


def test_a_signed_request_is_accepted_and_every_number_gets_a_status(
    tencent: TencentSmsSender, tencent_fake: FakeTencentSms
) -> None:
    statuses = tencent.send(_request(2))
    assert [(s.phone, s.state, s.code) for s in statuses] == [
        (p, DeliveryState.SENT, "Ok") for p in _phones(2)]
    assert all(s.serial for s in statuses)
    seen = tencent_fake.requests[0]
    assert seen.error is None
    assert seen.headers["x-tc-action"] == "SendSms"
    assert seen.headers["x-tc-version"] == "2021-01-11"
    assert seen.headers["x-tc-region"] == "ap-guangzhou"
    body = json.loads(seen.body)
    assert body == {"PhoneNumberSet": ["+8613900000000", "+8613900000001"],
                    "SmsSdkAppId": tencent_fake.sdk_app_id, "SignName": "微搭商城",
                    "TemplateId": "1110", "TemplateParamSet": ["123456", "5"]}


def test_450_numbers_go_as_three_signed_requests(
    tencent: TencentSmsSender, tencent_fake: FakeTencentSms
) -> None:
    report = deliver(_template(), PARAMS, _phones(450), sender=tencent,
                     credits=SmsCredits(1000))
    assert [len(r.numbers) for r in tencent_fake.requests] == [200, 200, 50]
    assert all(r.error is None for r in tencent_fake.requests)
    assert len(report.sent) == 450


def test_more_than_200_numbers_are_refused_by_the_provider(
    tencent: TencentSmsSender, tencent_fake: FakeTencentSms
) -> None:
    body = tencent.body(_request(201))
    headers = tencent.signed_headers(body, int(time.time()))
    answer = httpx.post(tencent_fake.url + "/", content=body, headers=headers).json()
    assert answer["Response"]["Error"]["Code"] == "LimitExceeded.PhoneNumberCountLimit"


def test_a_tampered_body_fails_the_signature_check(
    tencent: TencentSmsSender, tencent_fake: FakeTencentSms
) -> None:
    body = tencent.body(_request(1))
    headers = tencent.signed_headers(body, int(time.time()))
    tampered = body.replace(b"+8613900000000", b"+8613900000009")
    answer = httpx.post(tencent_fake.url + "/", content=tampered, headers=headers).json()
    assert answer["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
    good = httpx.post(tencent_fake.url + "/", content=body, headers=headers).json()
    assert "Error" not in good["Response"]


def test_a_tampered_signed_header_fails_the_signature_check(
    tencent: TencentSmsSender, tencent_fake: FakeTencentSms
) -> None:
    body = tencent.body(_request(1))
    headers = tencent.signed_headers(body, int(time.time()))
    headers["X-TC-Action"] = "SendStatusStatistics"
    answer = httpx.post(tencent_fake.url + "/", content=body, headers=headers).json()
    assert answer["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"


def test_a_wrong_secret_is_a_typed_auth_error(tencent_fake: FakeTencentSms) -> None:
    sender = TencentSmsSender(secret_id=tencent_fake.secret_id, secret_key="wrong",
                              sdk_app_id=tencent_fake.sdk_app_id, endpoint=tencent_fake.url)
    with pytest.raises(SmsAuthFailed) as caught:
        sender.send(_request())
    assert caught.value.provider_code == "AuthFailure.SignatureFailure"
    assert caught.value.request_id
    sender.close()


def test_a_skewed_clock_is_refused_as_expired(tencent_fake: FakeTencentSms) -> None:
    sender = TencentSmsSender(secret_id=tencent_fake.secret_id,
                              secret_key=tencent_fake.secret_key,
                              sdk_app_id=tencent_fake.sdk_app_id, endpoint=tencent_fake.url,
                              clock=lambda: time.time() - 301)
    with pytest.raises(SmsAuthFailed, match=r"AuthFailure\.SignatureExpire"):
        sender.send(_request())
    sender.close()


def test_per_number_failures_are_reported(
    tencent: TencentSmsSender, tencent_fake: FakeTencentSms
) -> None:
    tencent_fake.fail_numbers = {"13900000001": "LimitExceeded.PhoneNumberDailyLimit"}
    report = deliver(_template(), PARAMS, _phones(3), sender=tencent, credits=SmsCredits(10))
    assert [o.outcome for o in report.outcomes] == [Outcome.SENT, Outcome.FAILED, Outcome.SENT]
    assert report.outcomes[1].code == "LimitExceeded.PhoneNumberDailyLimit"
    assert report.credits_spent == 2


def test_an_empty_package_reports_the_rest_as_no_credits(
    tencent: TencentSmsSender, tencent_fake: FakeTencentSms
) -> None:
    tencent_fake.balance = 250
    report = deliver(_template(), PARAMS, _phones(450), sender=tencent,
                     credits=SmsCredits(1000))
    assert len(report.sent) == 250
    assert len(report.skipped_no_credits) == 200
    assert report.skipped_no_credits[0].code == "FailedOperation.InsufficientBalanceInSmsPackage"
    assert len(tencent_fake.requests) == 2  # the third request is not made


@pytest.mark.parametrize(("code", "kind"), [
    ("FailedOperation.TemplateIncorrectOrUnapproved", SmsTemplateRefused),
    ("FailedOperation.InsufficientBalanceInSmsPackage", SmsBalanceExhausted),
    ("InvalidParameterValue.SdkAppIdNotExist", SmsRequestInvalid),
    ("InternalError.Timeout", SmsProviderUnavailable),
])
def test_top_level_errors_are_typed(
    tencent: TencentSmsSender, tencent_fake: FakeTencentSms, code: str, kind: type
) -> None:
    tencent_fake.next_error = code
    with pytest.raises(kind) as caught:
        tencent.send(_request())
    assert caught.value.provider_code == code


def test_an_unreachable_endpoint_is_a_typed_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sender = TencentSmsSender(secret_id="a", secret_key="b", sdk_app_id="1",
                              endpoint=f"http://127.0.0.1:{port}")
    with pytest.raises(SmsProviderUnavailable) as caught:
        sender.send(_request())
    assert not caught.value.outcome_unknown
    sender.close()


def test_logs_never_show_a_full_number(
    tencent: TencentSmsSender, tencent_fake: FakeTencentSms, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tencent_fake.fail_numbers = {"13900000001": "FailedOperation.PhoneNumberInBlacklist"}
    deliver(_template(), PARAMS, _phones(3), sender=tencent, credits=SmsCredits(10))
    tencent_fake.next_error = "InvalidParameterValue.IncorrectPhoneNumber"
    deliver(_template(), PARAMS, _phones(2), sender=tencent, credits=SmsCredits(10))
    assert "PhoneNumberInBlacklist" in caplog.text
    assert "139****0001" in caplog.text
    for p in _phones(3):
        assert p.number not in caplog.text
    assert tencent.secret_id in repr(tencent)
    assert tencent_fake.secret_key not in repr(tencent)
