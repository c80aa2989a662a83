"""Fixtures for the WeChat Pay adapter: a frozen clock, a merchant, the loopback fake in
either verification mode, our client pointed at it, and a notification endpoint that
books into a small shop over the in-memory unit of work."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from wechatpay_helpers import START, Clock, Shop  # noqa: E402

from mallcore.services.payment_notices import PaymentNotices  # noqa: E402
from mallcore_adapters.wechatpay import NotificationHandler, WeChatPayClient  # noqa: E402
from mallcore_adapters.wechatpay.fake import CERTIFICATES, PUBLIC_KEY, FakeWeChatPay  # noqa: E402
from mallcore_adapters.wechatpay.identity import MerchantIdentity, new_rsa_key  # noqa: E402
from mallcore_adapters.wechatpay.receiver import NotificationReceiver  # noqa: E402


@pytest.fixture(scope="session")
def merchant() -> MerchantIdentity:
    return MerchantIdentity.generate(START)


@pytest.fixture(scope="session")
def platform_key() -> RSAPrivateKey:
    """WeChat's key in the fake, made once: RSA key generation is the slow part."""
    return new_rsa_key()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=[PUBLIC_KEY, CERTIFICATES])
def mode(request: pytest.FixtureRequest) -> str:
    """Both ways of verifying WeChat's signatures (PAY-1)."""
    return str(request.param)


@pytest.fixture
def fake(merchant: MerchantIdentity, clock: Clock,
         platform_key: RSAPrivateKey) -> Iterator[FakeWeChatPay]:
    """Public-key mode; tests that need both modes use ``fake_any``."""
    with FakeWeChatPay(merchant, clock=clock.epoch, platform_key=platform_key) as server:
        yield server


@pytest.fixture
def fake_any(merchant: MerchantIdentity, clock: Clock, mode: str,
             platform_key: RSAPrivateKey) -> Iterator[FakeWeChatPay]:
    with FakeWeChatPay(merchant, mode=mode, clock=clock.epoch,
                       platform_key=platform_key) as server:
        yield server


@pytest.fixture
def client_for(clock: Clock) -> Iterator[Callable[..., WeChatPayClient]]:
    made: list[WeChatPayClient] = []

    def build(server: FakeWeChatPay, **config_changes: object) -> WeChatPayClient:
        client = WeChatPayClient(server.client_config(**config_changes),
                                 base_url=server.base_url, clock=clock, timeout=5.0)
        made.append(client)
        return client

    yield build
    for client in made:
        client.close_connections()


@pytest.fixture
def client(fake: FakeWeChatPay, client_for: Callable[..., WeChatPayClient]) -> WeChatPayClient:
    return client_for(fake)


@pytest.fixture
def shop() -> Shop:
    return Shop()


@pytest.fixture
def endpoint(shop: Shop, clock: Clock) -> Iterator[Callable[[WeChatPayClient],
                                                           NotificationReceiver]]:
    """A running notification endpoint for a client's merchant, booking into ``shop``."""
    started: list[NotificationReceiver] = []

    def build(client: WeChatPayClient) -> NotificationReceiver:
        notices = PaymentNotices(shop.uow, shop.numbers, publisher=shop.publisher)
        handler = NotificationHandler(client.config, client.verifier, notices, clock=clock)
        receiver = NotificationReceiver(handler).start()
        started.append(receiver)
        return receiver

    yield build
    for receiver in started:
        receiver.stop()

