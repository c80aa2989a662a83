"""An in-memory provider for the core's tests: it records requests and answers per number."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from mallcore.messaging import (
    DeliveryState,
    NumberStatus,
    Phone,
    ProviderRefused,
    SmsRequest,
    SmsTemplate,
)

T0 = datetime(2024, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def approved_template(content: str = "{name}，您好：618 大促开始啦", *, id: str = "T1",
                      signature: str = "微搭商城") -> SmsTemplate:
    t = SmsTemplate(id, name="promo", signature=signature, content=content,
                    provider_template_id=f"P-{id}")
    t.approve(T0)
    return t


def phones(n: int, start: int = 0) -> list[Phone]:
    return [Phone(f"138{i:08d}") for i in range(start, start + n)]


class ScriptedSender:
    """Answers "sent" unless told otherwise; ``fail`` maps a number to a provider code."""

    name = "scripted"

    def __init__(self, max_batch: int = 200) -> None:
        self.max_batch = max_batch
        self.requests: list[SmsRequest] = []
        self.fail: dict[str, str] = {}
        self.no_balance_after: int | None = None  # messages before the provider runs dry
        self.raise_on: dict[int, ProviderRefused] = {}  # request index → error
        self.drop: set[str] = set()  # numbers the provider forgets to answer for

    def send(self, request: SmsRequest) -> Sequence[NumberStatus]:
        index = len(self.requests)
        self.requests.append(request)
        if index in self.raise_on:
            raise self.raise_on[index]
        out = []
        for p in request.phones:
            if p.number in self.drop:
                continue
            if p.number in self.fail:
                out.append(NumberStatus(p, DeliveryState.FAILED, self.fail[p.number], "no"))
            elif self.no_balance_after is not None and self.no_balance_after <= 0:
                out.append(NumberStatus(p, DeliveryState.NO_BALANCE, "NoBalance", "dry"))
            else:
                if self.no_balance_after is not None:
                    self.no_balance_after -= 1
                out.append(NumberStatus(p, DeliveryState.SENT, "Ok", "", f"serial-{index}"))
        return out

    @property
    def sent_numbers(self) -> list[str]:
        return [p.number for r in self.requests for p in r.phones]
