"""The ``MessageSender`` port: what the core asks of an SMS provider adapter.

One request = one template, one set of parameters, up to ``max_batch``
numbers; the answer is a status per number.  The core splits larger sends
into provider-sized requests (``delivery.deliver``) and never assumes a number
it got no status for was sent.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Protocol

import attrs

from mallcore.messaging.phones import Phone
from mallcore.messaging.templates import Params

__all__ = ["DeliveryState", "MessageSender", "NumberStatus", "SmsRequest"]


class DeliveryState(enum.Enum):
    SENT = "sent"  # the provider accepted the message for this number
    FAILED = "failed"  # refused for this number (bad number, rate limit, blacklist …)
    NO_BALANCE = "no_balance"  # the provider account has no balance left (SMS-4)


@attrs.frozen
class SmsRequest:
    """One provider request: ``template_id`` is the provider's id for the template."""

    template_id: str
    signature: str
    params: Params
    phones: tuple[Phone, ...]


@attrs.frozen
class NumberStatus:
    """The provider's answer for one number; ``code`` is the provider's own code."""

    phone: Phone
    state: DeliveryState
    code: str
    message: str = ""
    serial: str | None = None  # the provider's id for this message (SerialNo, BizId)


class MessageSender(Protocol):
    """An SMS provider.  Raises ``ProviderRefused`` when a whole request fails."""

    @property
    def name(self) -> str: ...

    @property
    def max_batch(self) -> int: ...

    def send(self, request: SmsRequest) -> Sequence[NumberStatus]: ...
