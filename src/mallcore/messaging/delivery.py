"""Send one message to many numbers through the port: batches, credits, outcomes.

The loop that applies SMS-4 and the port's batch size.  Before each request it
reserves credits for as many numbers as the balance covers; numbers the
provider accepted keep their credits, the others give them back (so a later
request may still use them).  When the credits, or the provider's balance, run
out, every number not yet sent is reported "skipped: no credits" — never
dropped.  A provider error stops the send: that request's numbers and the rest
are reported failed with the provider's code.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Sequence

from mallcore.errors import InvalidInput
from mallcore.messaging.credits import SmsCredits
from mallcore.messaging.errors import ProviderRefused
from mallcore.messaging.outcomes import DeliveryReport, Outcome, RecipientOutcome
from mallcore.messaging.phones import Phone
from mallcore.messaging.sender import DeliveryState, MessageSender, NumberStatus, SmsRequest
from mallcore.messaging.templates import Params, SmsTemplate

__all__ = ["batches", "deliver", "skipped"]

log = logging.getLogger("mallcore.messaging")


def batches(phones: Sequence[Phone], size: int) -> list[tuple[Phone, ...]]:
    """Consecutive provider-sized requests: 450 numbers at 200 → 200, 200, 50."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidInput("SMS batch size", f"{size!r} is not a positive whole number")
    return [tuple(phones[i:i + size]) for i in range(0, len(phones), size)]


def skipped(phones: Sequence[Phone], outcome: Outcome, reason: str,
            code: str | None = None) -> list[RecipientOutcome]:
    return [RecipientOutcome(p, outcome, reason, code) for p in phones]


def deliver(
    template: SmsTemplate, params: Params, phones: Sequence[Phone], *,
    sender: MessageSender, credits: SmsCredits, max_batch: int | None = None,
) -> DeliveryReport:
    """Send ``template`` with ``params`` to each distinct number in ``phones``.

    SMS-1 is checked first (an unapproved template sends nothing).  Each number
    ends in exactly one outcome; the report keeps the order of ``phones``.
    """
    template.require_approved("sending SMS")
    size = sender.max_batch if max_batch is None else min(max_batch, sender.max_batch)
    unique = list(dict.fromkeys(phones))
    batches(unique, size)  # validates the size
    run = _Run(template, params, sender, credits, template.parts(params))
    queue: deque[Phone] = deque(unique)
    while queue:
        chunk = [queue.popleft() for _ in range(min(size, len(queue)))]
        covered = credits.reserve(len(chunk), run.cost)
        if covered == 0:
            reason = (f"SMS credits ran out ({credits.balance} left, {run.cost} per message); "
                      "not sent")
            run.record(skipped([*chunk, *queue], Outcome.SKIPPED_NO_CREDITS, reason))
            break
        queue.extendleft(reversed(chunk[covered:]))
        if not run.send(tuple(chunk[:covered]), queue):
            queue.clear()
    report = DeliveryReport(tuple(run.done[p] for p in unique), run.requests, run.spent,
                            run.stopped, run.no_balance)
    log.info("SMS template %s: %s", template.id, report.summary())
    return report


class _Run:
    """The state of one ``deliver`` call: outcomes so far, requests, credits spent."""

    def __init__(self, template: SmsTemplate, params: Params, sender: MessageSender,
                 credits: SmsCredits, cost: int) -> None:
        self.template = template
        self.params = params
        self.sender = sender
        self.credits = credits
        self.cost = cost
        self.done: dict[Phone, RecipientOutcome] = {}
        self.requests = 0
        self.spent = 0
        self.stopped: str | None = None
        self.no_balance = False

    def record(self, outcomes: Iterable[RecipientOutcome]) -> None:
        for o in outcomes:
            self.done[o.phone] = o

    def send(self, phones: tuple[Phone, ...], rest: Sequence[Phone]) -> bool:
        """One request for ``phones`` (credits reserved); False when sending must stop."""
        request = SmsRequest(self.template.provider_template_id, self.template.signature,
                             self.params, phones)
        self.requests += 1
        log.info("SMS request %d via %s: template %s to %d numbers (%s…)", self.requests,
                 self.sender.name, self.template.id, len(phones), phones[0])
        try:
            statuses = self.sender.send(request)
        except ProviderRefused as exc:
            self.credits.give_back(len(phones) * self.cost)
            self._refused(exc, phones, rest)
            return False
        answered = _match(phones, statuses)
        for phone in phones:
            self.record([self._settle(phone, answered.get(phone))])
        if self.no_balance:
            self.stopped = "provider balance exhausted"
            self.record(skipped(rest, Outcome.SKIPPED_NO_CREDITS,
                                "provider balance exhausted; not sent"))
            return False
        return True

    def _settle(self, phone: Phone, status: NumberStatus | None) -> RecipientOutcome:
        """Keep the credit for a number sent, give it back otherwise."""
        if status is not None and status.state is DeliveryState.SENT:
            self.spent += self.cost
            return RecipientOutcome(phone, Outcome.SENT, "", status.code, status.serial)
        self.credits.give_back(self.cost)
        if status is None:
            return RecipientOutcome(phone, Outcome.FAILED, "the provider returned no status "
                                    "for this number; not resent", "NoStatus")
        if status.state is DeliveryState.NO_BALANCE:
            self.no_balance = True
            return RecipientOutcome(phone, Outcome.SKIPPED_NO_CREDITS,
                                    f"provider balance exhausted ({status.code}); not sent",
                                    status.code)
        return RecipientOutcome(phone, Outcome.FAILED, status.message or status.code,
                                status.code)

    def _refused(self, exc: ProviderRefused, phones: tuple[Phone, ...],
                 rest: Sequence[Phone]) -> None:
        self.stopped = f"{exc.provider_code}: {exc.message}"
        log.warning("SMS request %d via %s refused: %s", self.requests, self.sender.name,
                    self.stopped)
        if exc.out_of_balance:
            self.no_balance = True
            self.record(skipped([*phones, *rest], Outcome.SKIPPED_NO_CREDITS,
                                f"provider balance exhausted ({exc.provider_code}); not sent",
                                exc.provider_code))
            return
        why = "outcome unknown, not resent" if exc.outcome_unknown else "refused"
        self.record(skipped(phones, Outcome.FAILED, f"request {why}: {self.stopped}",
                            exc.provider_code))
        self.record(skipped(rest, Outcome.FAILED,
                            f"not attempted: sending stopped after {self.stopped}",
                            exc.provider_code))


def _match(phones: Sequence[Phone], statuses: Sequence[NumberStatus]) -> dict[Phone, NumberStatus]:
    """The first status per number asked for; anything else the provider said is ignored."""
    asked = set(phones)
    out: dict[Phone, NumberStatus] = {}
    for status in statuses:
        if status.phone in asked and status.phone not in out:
            out[status.phone] = status
    return out
