"""The typed refusals of SMS messaging (SMS-1..4), and the one error a sender raises.

Refusals name what was refused and why, with the rule id; phone numbers in
them are always masked (error messages end up in logs).  ``ProviderRefused``
is what a ``MessageSender`` raises when a whole request fails (bad credentials,
provider down, balance gone): the core catches only that, so a bug elsewhere
still surfaces as a bug.
"""

from __future__ import annotations

from mallcore.errors import InvalidInput, LimitReached, MallcoreError, NotAllowed

__all__ = [
    "InvalidPhoneNumber",
    "ProviderRefused",
    "TemplateNotApproved",
    "TooManyRecipients",
]


class TemplateNotApproved(NotAllowed):
    """SMS-1: a template is used (campaign, test, notification) before approval."""

    code = "template_not_approved"

    def __init__(self, action: str, template_id: str, status: str) -> None:
        self.template_id = template_id
        self.status = status
        super().__init__(f"{action} with SMS template {template_id!r}",
                         f"the template is {status}, not approved", rule="SMS-1")


class InvalidPhoneNumber(InvalidInput):
    """A number that is not a mainland China mobile number (shown masked)."""

    code = "invalid_phone_number"

    def __init__(self, masked: str, reason: str, *, rule: str | None = "SMS-2") -> None:
        self.masked = masked
        super().__init__(f"phone number {masked}", reason, rule=rule)


class TooManyRecipients(LimitReached):
    """SMS-2: more than the campaign cap of distinct numbers after merging duplicates."""

    code = "too_many_recipients"

    def __init__(self, count: int, limit: int) -> None:
        self.count = count
        self.limit = limit
        super().__init__(f"an SMS campaign to {count} numbers",
                         f"at most {limit} distinct numbers are allowed "
                         f"(duplicates already merged)", rule="SMS-2")


class ProviderRefused(MallcoreError):
    """A whole send request failed at the provider or on the way to it.

    ``provider_code`` is the provider's own code (``AuthFailure.SignatureFailure``,
    ``SignatureDoesNotMatch`` …).  ``out_of_balance`` means the provider account
    has no balance left: SMS-4 then stops sending and reports the rest as not
    sent for lack of credits.  ``outcome_unknown`` means the request may have
    reached the provider (a timeout): the numbers are reported failed, with that
    said, never silently resent.
    """

    code = "provider_refused"

    def __init__(
        self, provider: str, provider_code: str, message: str, *,
        request_id: str | None = None, out_of_balance: bool = False,
        outcome_unknown: bool = False,
    ) -> None:
        self.provider = provider
        self.provider_code = provider_code
        self.message = message
        self.request_id = request_id
        self.out_of_balance = out_of_balance
        self.outcome_unknown = outcome_unknown
        suffix = f" (request {request_id})" if request_id else ""
        super().__init__(f"sending SMS through {provider}",
                         f"{provider_code}: {message}{suffix}",
                         rule="SMS-4" if out_of_balance else None)
