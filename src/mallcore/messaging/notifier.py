"""Which template each notification kind uses, and who gets it (phone lookup injected).

A ``NotificationRoute`` maps a template's parameters to the fields a kind
offers; a route that names a field the kind lacks, or leaves a template
parameter unmapped, is refused when configured, not when sending.  The
``Notifier`` turns events into ``Addressed`` messages (notification + phone +
template + parameters) and reports customers it cannot reach — never dropping
them silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from zoneinfo import ZoneInfo

import attrs

from mallcore.coupons.batch_events import CouponsDistributed
from mallcore.errors import InvalidConfiguration
from mallcore.messaging.errors import InvalidPhoneNumber
from mallcore.messaging.notifications import (
    FIELDS,
    Notification,
    NotificationKind,
    from_after_sale_decision,
    from_coupons_distributed,
    from_flash_reminder,
    from_voucher_issued,
)
from mallcore.messaging.phones import Phone, parse_phone
from mallcore.messaging.quiet_hours import SHANGHAI
from mallcore.messaging.templates import Params, SmsTemplate
from mallcore.orders.events import AfterSaleDecided
from mallcore.promotions.flash_sale import FlashReminder
from mallcore.vouchers.events import VoucherIssued

__all__ = ["Addressed", "NotificationRoute", "Notifier", "Unreachable"]


@attrs.frozen
class NotificationRoute:
    """``params``: template parameter name → field of the notification kind."""

    template: SmsTemplate
    params: Mapping[str, str]


@attrs.frozen
class Addressed:
    notification: Notification
    phone: Phone
    template: SmsTemplate
    params: Params


@attrs.frozen
class Unreachable:
    notification: Notification
    reason: str


PhoneLookup = Callable[[str], str | None]


class Notifier:
    def __init__(
        self, routes: Mapping[NotificationKind, NotificationRoute], *, phone_of: PhoneLookup,
        customer_of_order: Callable[[str], str | None] | None = None,
        zone: ZoneInfo = SHANGHAI,
    ) -> None:
        for kind, route in routes.items():
            offered = FIELDS[kind]
            unknown = sorted(set(route.params.values()) - set(offered))
            unmapped = [n for n in route.template.param_names if n not in route.params]
            extra = sorted(set(route.params) - set(route.template.param_names))
            problems = []
            if unknown:
                problems.append(f"fields {unknown} are not offered (offered: {list(offered)})")
            if unmapped:
                problems.append(f"template parameters {unmapped} are not mapped")
            if extra:
                problems.append(f"{extra} are not parameters of the template")
            if problems:
                raise InvalidConfiguration(f"SMS route for {kind.value}", "; ".join(problems),
                                           rule="SMS-1")
        if NotificationKind.AFTER_SALE_DECIDED in routes and customer_of_order is None:
            raise InvalidConfiguration("SMS route for after_sale_decided",
                                       "needs customer_of_order to find the buyer",
                                       rule="SMS-1")
        self.routes = dict(routes)
        self.phone_of = phone_of
        self.customer_of_order = customer_of_order
        self.zone = zone

    def notifications(self, events: Iterable[object]) -> list[Notification]:
        """The notifications for routed kinds; other events and objects are not for SMS."""
        out: list[Notification] = []
        for event in events:
            for n in self._build(event):
                if n.kind in self.routes:
                    out.append(n)
        return list({n.key: n for n in out}.values())

    def _build(self, event: object) -> list[Notification]:
        if isinstance(event, Notification):
            return [event]
        if isinstance(event, FlashReminder):
            return [from_flash_reminder(event, self.zone)]
        if isinstance(event, CouponsDistributed):
            return from_coupons_distributed(event)
        if isinstance(event, AfterSaleDecided) and self.customer_of_order is not None:
            n = from_after_sale_decision(event, self.customer_of_order)
            return [] if n is None else [n]
        if isinstance(event, VoucherIssued):
            return [from_voucher_issued(event, self.zone)]
        return []

    def address(
        self, notifications: Iterable[Notification]
    ) -> tuple[list[Addressed], list[Unreachable]]:
        """Look up each customer's phone and fill in the template's parameters."""
        addressed: list[Addressed] = []
        unreachable: list[Unreachable] = []
        for n in notifications:
            route = self.routes.get(n.kind)
            if route is None:
                unreachable.append(Unreachable(n, f"no SMS template configured for {n.kind.value}"))
                continue
            raw = self.phone_of(n.customer_id)
            if raw is None:
                unreachable.append(Unreachable(n, "the customer has no phone number"))
                continue
            try:
                phone = parse_phone(raw)
            except InvalidPhoneNumber as exc:
                unreachable.append(Unreachable(n, f"phone {exc.masked}: {exc.reason}"))
                continue
            fields = dict(n.fields)
            params = route.template.params({p: fields[f] for p, f in route.params.items()})
            addressed.append(Addressed(n, phone, route.template, params))
        return addressed, unreachable
