"""SMS templates (短信模板): a signature, content with placeholders, and a review.

SMS-1: a template is submitted, then approved or rejected by review; only an
approved one may be sent.  The signature (短信签名) travels with the template,
because providers send "【signature】content" and check both.  Placeholders are
``{name}`` (Tencent's ``{1}`` fits too); their first-appearance order is the
order Tencent's positional ``TemplateParamSet`` takes.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import datetime

from mallcore.errors import InvalidInput, InvalidTransition
from mallcore.guards import aware, identifier, text
from mallcore.messaging.errors import TemplateNotApproved

__all__ = ["Params", "SmsTemplate", "TemplateStatus", "message_parts"]

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]+)\}")

#: Template parameters in the template's order: ((name, value), ...).
Params = tuple[tuple[str, str], ...]

SINGLE_PART = 70
LONG_PART = 67


def message_parts(message: str) -> int:
    """How many billed messages one text is: ≤ 70 characters is one, longer ones are
    split into parts of 67 (the rule both Tencent and Aliyun publish for mainland SMS)."""
    n = len(message)
    if n <= SINGLE_PART:
        return 1
    return -(-n // LONG_PART)


class TemplateStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class SmsTemplate:
    """One template and its review status (SMS-1)."""

    def __init__(
        self, id: str, *, name: str, signature: str, content: str,
        provider_template_id: str,
    ) -> None:
        self.id = identifier(id, "SMS template id", "SMS-1")
        self.name = text(name, f"name of SMS template {id!r}", "SMS-1")
        self.signature = identifier(signature, f"signature of SMS template {id!r}", "SMS-1")
        if "【" in signature or "】" in signature:
            raise InvalidInput(f"signature of SMS template {id!r}",
                               "give it without 【】: the provider adds them", rule="SMS-1")
        self.content = text(content, f"content of SMS template {id!r}", "SMS-1")
        self.provider_template_id = identifier(
            provider_template_id, f"provider id of SMS template {id!r}", "SMS-1")
        self.param_names: tuple[str, ...] = tuple(
            dict.fromkeys(_PLACEHOLDER.findall(content)))
        self.status = TemplateStatus.PENDING
        self.reviewed_at: datetime | None = None
        self.rejection_reason: str | None = None

    def __repr__(self) -> str:
        return f"SmsTemplate({self.id!r}, {self.status.value})"

    # review (SMS-1)

    def approve(self, now: datetime) -> None:
        self._review("approving", now)
        self.status = TemplateStatus.APPROVED

    def reject(self, reason: str, now: datetime) -> None:
        reason = text(reason, f"reason for rejecting SMS template {self.id!r}", "SMS-1")
        self._review("rejecting", now)
        self.status = TemplateStatus.REJECTED
        self.rejection_reason = reason

    def _review(self, action: str, now: datetime) -> None:
        aware(now, "now", "SMS-1")
        if self.status is not TemplateStatus.PENDING:
            raise InvalidTransition(f"{action} SMS template {self.id!r}", self.status.value,
                                    rule="SMS-1")
        self.reviewed_at = now

    @property
    def is_approved(self) -> bool:
        return self.status is TemplateStatus.APPROVED

    def require_approved(self, action: str) -> None:
        """SMS-1: refuse any use of a template that is not approved."""
        if not self.is_approved:
            raise TemplateNotApproved(action, self.id, self.status.value)

    # parameters

    def params(self, values: Mapping[str, object] | Params) -> Params:
        """The values in template order; a missing or unknown name is refused."""
        given = dict(values)
        missing = [n for n in self.param_names if n not in given]
        unknown = sorted(set(given) - set(self.param_names))
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"missing {missing}")
            if unknown:
                parts.append(f"unknown {unknown}")
            raise InvalidInput(f"parameters of SMS template {self.id!r}",
                               "; ".join(parts), rule="SMS-1")
        out: list[tuple[str, str]] = []
        for name in self.param_names:
            value = given[name]
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise InvalidInput(f"parameter {name!r} of SMS template {self.id!r}",
                                   f"{value!r} is not text or a whole number", rule="SMS-1")
            out.append((name, str(value)))
        return tuple(out)

    def render(self, params: Params) -> str:
        """The text a recipient reads: ``【signature】`` then the content, filled in."""
        values = dict(params)
        body = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), self.content)
        return f"【{self.signature}】{body}"

    def parts(self, params: Params) -> int:
        """Credits one recipient costs with these parameters (SMS-4)."""
        return message_parts(self.render(params))
