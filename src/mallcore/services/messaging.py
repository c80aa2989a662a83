"""SMS use cases: run a due campaign, test-send it, send a batch of notifications.

Each takes the provider port, the credits and ``now`` and returns a report with
one outcome per number (SMS-2..4); nothing here reads a clock.  Quiet hours
(SMS-3) are checked on the whole span from when a message fell due to now:
anything still unsent when quiet hours began is skipped, not sent later.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from mallcore.errors import InvalidInput, NotAllowed
from mallcore.guards import aware
from mallcore.messaging.campaigns import SmsCampaign
from mallcore.messaging.credits import SmsCredits
from mallcore.messaging.delivery import deliver, skipped
from mallcore.messaging.errors import TemplateNotApproved
from mallcore.messaging.notifications import Notification
from mallcore.messaging.notifier import Addressed, Notifier
from mallcore.messaging.outcomes import DeliveryReport, Outcome, RecipientOutcome
from mallcore.messaging.phones import Phone, parse_phone
from mallcore.messaging.quiet_hours import QuietHours
from mallcore.messaging.sender import MessageSender
from mallcore.messaging.templates import Params, SmsTemplate

__all__ = [
    "NotificationOutcome",
    "NotificationReport",
    "run_due_campaign",
    "send_campaign_test",
    "send_notifications",
]


def _quiet_reason(quiet: QuietHours, due: datetime, now: datetime) -> str | None:
    first = quiet.first_quiet(due, now)
    if first is None:
        return None
    if first == due:
        return quiet.reason(due)
    return (f"due {quiet.local(due):%Y-%m-%d %H:%M} {quiet.zone.key} and still unsent when "
            f"quiet hours {quiet.describe()} began; not sent later")


def _check_template(campaign: SmsCampaign, template: SmsTemplate) -> None:
    if template.id != campaign.template_id:
        raise InvalidInput(f"template for SMS campaign {campaign.id!r}",
                           f"{template.id!r} given, the campaign uses {campaign.template_id!r}",
                           rule="SMS-2")


def run_due_campaign(
    campaign: SmsCampaign, template: SmsTemplate, *, sender: MessageSender,
    credits: SmsCredits, now: datetime, quiet_hours: QuietHours | None = None,
) -> DeliveryReport:
    """SMS-2..4: send a scheduled campaign whose time has come, or skip it for quiet hours.

    Refused (nothing sent) when the campaign is not scheduled, not yet due, or
    its template is not approved (SMS-1).  Marks the campaign completed or skipped.
    """
    aware(now, "now", "SMS-2")
    quiet = quiet_hours or QuietHours()
    campaign.require_scheduled("running")
    if now < campaign.send_at:
        raise NotAllowed(f"running SMS campaign {campaign.id!r}",
                         f"not due until {campaign.send_at.isoformat()}", rule="SMS-2")
    _check_template(campaign, template)
    template.require_approved(f"running SMS campaign {campaign.id!r}")
    phones = campaign.recipients.phones
    reason = _quiet_reason(quiet, campaign.send_at, now)
    if reason is not None:
        report = DeliveryReport(tuple(skipped(phones, Outcome.SKIPPED_QUIET_HOURS, reason)))
        campaign.skip(reason, report, now)
        return report
    report = deliver(template, campaign.params, phones, sender=sender, credits=credits)
    campaign.complete(report, now)
    return report


def send_campaign_test(
    campaign: SmsCampaign, template: SmsTemplate, phone: str | Phone, *,
    sender: MessageSender, credits: SmsCredits, now: datetime,
    quiet_hours: QuietHours | None = None,
) -> RecipientOutcome:
    """SMS-2 短信测试: the campaign's message to one number, now; recorded on the campaign.

    It costs credits like any message (SMS-4) and respects quiet hours (SMS-3).
    """
    aware(now, "now", "SMS-2")
    quiet = quiet_hours or QuietHours()
    campaign.require_scheduled("test-sending")
    _check_template(campaign, template)
    template.require_approved(f"test-sending SMS campaign {campaign.id!r}")
    target = parse_phone(phone)
    if quiet.is_quiet(now):
        outcome = RecipientOutcome(target, Outcome.SKIPPED_QUIET_HOURS, quiet.reason(now))
    else:
        report = deliver(template, campaign.params, [target], sender=sender, credits=credits)
        outcome = report.outcomes[0]
    campaign.record_test(outcome)
    return outcome


@attrs.frozen
class NotificationOutcome:
    notification: Notification
    phone: Phone | None
    outcome: Outcome
    reason: str = ""
    code: str | None = None


@attrs.frozen
class NotificationReport:
    outcomes: tuple[NotificationOutcome, ...]
    requests: int = 0
    credits_spent: int = 0

    def bucket(self, outcome: Outcome) -> tuple[NotificationOutcome, ...]:
        return tuple(o for o in self.outcomes if o.outcome is outcome)

    def counts(self) -> dict[str, int]:
        return {o.value: len(self.bucket(o)) for o in Outcome}


def send_notifications(
    notifier: Notifier, events: Iterable[object], *, sender: MessageSender,
    credits: SmsCredits, now: datetime, quiet_hours: QuietHours | None = None,
) -> NotificationReport:
    """SMS-1/3/4 for notifications: one outcome per notification, in the order built.

    Messages with the same template and parameters (a coupon batch's customers)
    share requests; a number met twice in such a group gets one message.
    """
    aware(now, "now", "SMS-3")
    quiet = quiet_hours or QuietHours()
    notifications = notifier.notifications(events)
    addressed, unreachable = notifier.address(notifications)
    results: dict[str, NotificationOutcome] = {
        u.notification.key: NotificationOutcome(u.notification, None, Outcome.UNREACHABLE,
                                                u.reason)
        for u in unreachable
    }
    groups: dict[tuple[str, Params], list[Addressed]] = {}
    for a in addressed:
        reason = _quiet_reason(quiet, a.notification.due_at, now)
        if reason is not None:
            results[a.notification.key] = NotificationOutcome(
                a.notification, a.phone, Outcome.SKIPPED_QUIET_HOURS, reason)
        else:
            groups.setdefault((a.template.id, a.params), []).append(a)
    requests = spent = 0
    stop: tuple[Outcome, str, str | None] | None = None
    for members in groups.values():
        template, params = members[0].template, members[0].params
        by_phone: dict[Phone, RecipientOutcome]
        if stop is not None:
            outcome, why, code = stop
            by_phone = {m.phone: RecipientOutcome(m.phone, outcome, why, code) for m in members}
        else:
            try:
                report = deliver(template, params, [m.phone for m in members], sender=sender,
                                 credits=credits)
            except TemplateNotApproved as exc:
                by_phone = {m.phone: RecipientOutcome(m.phone, Outcome.FAILED, str(exc),
                                                      exc.code) for m in members}
            else:
                requests += report.requests
                spent += report.credits_spent
                by_phone = {o.phone: o for o in report.outcomes}
                if report.out_of_balance:
                    stop = (Outcome.SKIPPED_NO_CREDITS, "provider balance exhausted; not sent",
                            None)
                elif report.stopped_by is not None:
                    stop = (Outcome.FAILED,
                            f"not attempted: sending stopped after {report.stopped_by}", None)
        for m in members:
            o = by_phone[m.phone]
            results[m.notification.key] = NotificationOutcome(m.notification, m.phone,
                                                              o.outcome, o.reason, o.code)
    ordered = tuple(results[n.key] for n in notifications)
    return NotificationReport(ordered, requests, spent)
