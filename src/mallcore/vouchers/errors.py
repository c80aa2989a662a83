"""The typed refusals of the write-off core (VCH-2..7).

Each refusal names the voucher (by id, never by code: a code is a bearer
secret and error messages end up in logs) and says why, so the counter can
tell the customer "expired since 2024-10-25T16:00:00+08:00" rather than
"failed".  State refusals are ``NotAllowed``: the request was well formed but
this voucher, now, says no.  A mistyped code is ``InvalidInput``: it can never
be right, and it is caught before any lookup.
"""

from __future__ import annotations

from mallcore.errors import InvalidInput, LimitReached, NotAllowed

__all__ = [
    "MistypedCode",
    "NotEnoughUses",
    "NotRefundable",
    "NotValidAtStore",
    "VerifierNotAllowed",
    "VoucherAlreadyRefunded",
    "VoucherExpired",
    "VoucherNotYetValid",
    "VoucherRefused",
    "VoucherUsedUp",
    "VoucherVoid",
]


class MistypedCode(InvalidInput):
    """A typed code that fails its check digit or its shape (VCH-1, VCH-3).

    Raised before any lookup: a typo must read "retype it", never "no such
    voucher", and never reach someone else's voucher.
    """

    code = "mistyped_code"

    def __init__(self, reason: str) -> None:
        super().__init__("verification code", reason, rule="VCH-3")


class VoucherRefused(NotAllowed):
    """Base of every refusal a voucher makes; ``voucher_id`` names it."""

    code = "voucher_refused"
    default_rule = "VCH-3"

    def __init__(
        self, action: str, voucher_id: str, reason: str, *, rule: str | None = None
    ) -> None:
        self.action = action
        self.voucher_id = voucher_id
        super().__init__(f"{action} voucher {voucher_id}", reason, rule=rule or self.default_rule)


class VoucherVoid(VoucherRefused):
    """VCH-5: a void voucher cannot be used (until restored)."""

    code = "voucher_void"
    default_rule = "VCH-5"


class VoucherUsedUp(VoucherRefused):
    """VCH-2: no uses remain ("already used")."""

    code = "voucher_used_up"
    default_rule = "VCH-2"


class VoucherAlreadyRefunded(VoucherRefused):
    """VCH-7: the unused uses were refunded and died; nothing is left to act on."""

    code = "voucher_refunded"
    default_rule = "VCH-7"


class VoucherNotYetValid(VoucherRefused):
    """VCH-3: the validity window has not opened."""

    code = "voucher_not_yet_valid"


class VoucherExpired(VoucherRefused):
    """VCH-3: the validity window has closed ("expired since ..."); VCH-6 can reopen it."""

    code = "voucher_expired"


class NotValidAtStore(VoucherRefused):
    """VCH-3: the voucher is not valid at the verifying store."""

    code = "not_valid_at_store"


class VerifierNotAllowed(VoucherRefused):
    """VCH-3: the staff member is bound to another store."""

    code = "verifier_not_allowed"


class NotEnoughUses(VoucherRefused, LimitReached):
    """More uses asked (to verify or transfer) than remain."""

    code = "not_enough_uses"


class NotRefundable(VoucherRefused):
    """VCH-7: the buyer may not self-refund a voucher sold non-refundable (staff may)."""

    code = "not_refundable"
    default_rule = "VCH-7"
