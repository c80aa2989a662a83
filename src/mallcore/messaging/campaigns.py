"""SMS marketing campaigns (短信营销活动): a template, recipients and a send time (SMS-2).

A campaign is created with an approved template (SMS-1), its parameters, the
recipients (merged and capped, ``recipients.py``) and an aware send time.  It
runs once: completed with a report, or skipped for quiet hours (SMS-3) — and a
skipped campaign is never sent later.  Test sends (短信测试) go to one number
and are recorded on the campaign.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime

from mallcore.errors import InvalidTransition
from mallcore.guards import aware, identifier, text
from mallcore.messaging.outcomes import DeliveryReport, RecipientOutcome
from mallcore.messaging.phones import Phone
from mallcore.messaging.recipients import Recipients, parse_recipients
from mallcore.messaging.templates import Params, SmsTemplate

__all__ = ["CampaignStatus", "SmsCampaign"]


class CampaignStatus(enum.Enum):
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    SKIPPED = "skipped"  # SMS-3: due in quiet hours, never sent later
    CANCELLED = "cancelled"


class SmsCampaign:
    def __init__(
        self, id: str, *, name: str, template: SmsTemplate,
        params: Mapping[str, object] | Params = (),
        recipients: Recipients | str | Iterable[str | Phone], send_at: datetime,
    ) -> None:
        self.id = identifier(id, "SMS campaign id", "SMS-2")
        self.name = text(name, f"name of SMS campaign {id!r}", "SMS-2")
        template.require_approved(f"creating SMS campaign {id!r}")
        self.template_id = template.id
        self.params: Params = template.params(params)
        self.recipients = (recipients if isinstance(recipients, Recipients)
                           else parse_recipients(recipients))
        self.send_at = aware(send_at, f"send time of SMS campaign {id!r}", "SMS-2")
        self.status = CampaignStatus.SCHEDULED
        self.finished_at: datetime | None = None
        self.skip_reason: str | None = None
        self.report: DeliveryReport | None = None
        self.tests: list[RecipientOutcome] = []

    def __repr__(self) -> str:
        return (f"SmsCampaign({self.id!r}, {self.status.value}, "
                f"{len(self.recipients)} numbers, send_at={self.send_at.isoformat()})")

    def is_due(self, now: datetime) -> bool:
        return self.status is CampaignStatus.SCHEDULED and aware(now) >= self.send_at

    def require_scheduled(self, action: str) -> None:
        if self.status is not CampaignStatus.SCHEDULED:
            raise InvalidTransition(f"{action} SMS campaign {self.id!r}", self.status.value,
                                    rule="SMS-2")

    def record_test(self, outcome: RecipientOutcome) -> None:
        self.require_scheduled("test-sending")
        self.tests.append(outcome)

    def complete(self, report: DeliveryReport, now: datetime) -> None:
        self.require_scheduled("completing")
        self.status = CampaignStatus.COMPLETED
        self.report = report
        self.finished_at = aware(now)

    def skip(self, reason: str, report: DeliveryReport, now: datetime) -> None:
        self.require_scheduled("skipping")
        self.status = CampaignStatus.SKIPPED
        self.skip_reason = text(reason, "skip reason", "SMS-3")
        self.report = report
        self.finished_at = aware(now)

    def cancel(self, now: datetime) -> None:
        self.require_scheduled("cancelling")
        self.status = CampaignStatus.CANCELLED
        self.finished_at = aware(now)
