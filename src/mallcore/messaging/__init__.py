"""SMS messaging rules (SMS-1..4): templates, campaigns, quiet hours, credits, notifications.

Pure core: the provider is the ``MessageSender`` port (adapters in
``mallcore_adapters.sms``); time is always a parameter.  Use cases live in
``mallcore.services.messaging``.
"""

from mallcore.messaging.campaigns import CampaignStatus, SmsCampaign
from mallcore.messaging.credits import SmsCredits
from mallcore.messaging.delivery import batches, deliver
from mallcore.messaging.errors import (
    InvalidPhoneNumber,
    ProviderRefused,
    TemplateNotApproved,
    TooManyRecipients,
)
from mallcore.messaging.notifications import Notification, NotificationKind
from mallcore.messaging.notifier import Addressed, NotificationRoute, Notifier, Unreachable
from mallcore.messaging.outcomes import DeliveryReport, Outcome, RecipientOutcome
from mallcore.messaging.phones import Phone, mask_phone, mask_text, parse_phone
from mallcore.messaging.quiet_hours import SHANGHAI, QuietHours
from mallcore.messaging.recipients import MAX_RECIPIENTS, Recipients, RefusedLine, parse_recipients
from mallcore.messaging.sender import DeliveryState, MessageSender, NumberStatus, SmsRequest
from mallcore.messaging.templates import Params, SmsTemplate, TemplateStatus, message_parts

__all__ = [
    "MAX_RECIPIENTS",
    "SHANGHAI",
    "Addressed",
    "CampaignStatus",
    "DeliveryReport",
    "DeliveryState",
    "InvalidPhoneNumber",
    "MessageSender",
    "Notification",
    "NotificationKind",
    "NotificationRoute",
    "Notifier",
    "NumberStatus",
    "Outcome",
    "Params",
    "Phone",
    "ProviderRefused",
    "QuietHours",
    "RecipientOutcome",
    "Recipients",
    "RefusedLine",
    "SmsCampaign",
    "SmsCredits",
    "SmsRequest",
    "SmsTemplate",
    "TemplateNotApproved",
    "TemplateStatus",
    "TooManyRecipients",
    "Unreachable",
    "batches",
    "deliver",
    "mask_phone",
    "mask_text",
    "message_parts",
    "parse_phone",
    "parse_recipients",
]
