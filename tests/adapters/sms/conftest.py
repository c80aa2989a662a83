"""Loopback SMS providers: each test gets its own fake server and a sender pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mallcore_adapters.sms import AliyunSmsSender, TencentSmsSender
from mallcore_adapters.sms.fake import FakeAliyunSms, FakeTencentSms


@pytest.fixture
def tencent_fake() -> Iterator[FakeTencentSms]:
    with FakeTencentSms() as fake:
        yield fake


@pytest.fixture
def tencent(tencent_fake: FakeTencentSms) -> Iterator[TencentSmsSender]:
    sender = TencentSmsSender(secret_id=tencent_fake.secret_id,
                              secret_key=tencent_fake.secret_key,
                              sdk_app_id=tencent_fake.sdk_app_id, endpoint=tencent_fake.url,
                              client=httpx.Client(timeout=5))
    yield sender
    sender.close()


@pytest.fixture
def aliyun_fake() -> Iterator[FakeAliyunSms]:
    with FakeAliyunSms() as fake:
        yield fake


@pytest.fixture
def aliyun(aliyun_fake: FakeAliyunSms) -> Iterator[AliyunSmsSender]:
    sender = AliyunSmsSender(access_key_id=aliyun_fake.access_key_id,
                             access_key_secret=aliyun_fake.access_key_secret,
                             endpoint=aliyun_fake.url, client=httpx.Client(timeout=5))
    yield sender
    sender.close()
