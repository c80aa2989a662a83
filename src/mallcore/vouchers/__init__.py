"""Write-off vouchers (核销): issue, verify at the counter, transfer, void, refund (VCH-1..9).

Pure core: time is a parameter (always aware), randomness for codes is
injected, nothing does I/O.  Money effects of refunds are computed here
(``Voucher.refund_fen``) and carried out by the orders side.
"""

from __future__ import annotations

from mallcore.vouchers.book import VoucherBook, VoucherCatalog
from mallcore.vouchers.codes import (
    CODE_BITS,
    CODE_DIGITS,
    CodeGenerator,
    check,
    check_digit,
    display,
    new_code,
    system_random,
)
from mallcore.vouchers.errors import (
    MistypedCode,
    NotEnoughUses,
    NotRefundable,
    NotValidAtStore,
    VerifierNotAllowed,
    VoucherAlreadyRefunded,
    VoucherExpired,
    VoucherNotYetValid,
    VoucherRefused,
    VoucherUsedUp,
    VoucherVoid,
)
from mallcore.vouchers.events import (
    VoucherEvent,
    VoucherIssued,
    VoucherRefunded,
    VoucherRestored,
    VoucherTransferred,
    VoucherValidityChanged,
    VoucherVerified,
    VoucherVoided,
)
from mallcore.vouchers.issue import issue_vouchers
from mallcore.vouchers.model import (
    Origin,
    VerificationMethod,
    VerificationRecord,
    Voucher,
    VoucherStatus,
)
from mallcore.vouchers.terms import (
    DaysFromIssue,
    FixedWindow,
    IssueMode,
    Store,
    Validity,
    Verifier,
    VoucherTerms,
)

__all__ = [
    "CODE_BITS",
    "CODE_DIGITS",
    "CodeGenerator",
    "DaysFromIssue",
    "FixedWindow",
    "IssueMode",
    "MistypedCode",
    "NotEnoughUses",
    "NotRefundable",
    "NotValidAtStore",
    "Origin",
    "Store",
    "Validity",
    "VerificationMethod",
    "VerificationRecord",
    "Verifier",
    "VerifierNotAllowed",
    "Voucher",
    "VoucherAlreadyRefunded",
    "VoucherBook",
    "VoucherCatalog",
    "VoucherEvent",
    "VoucherExpired",
    "VoucherIssued",
    "VoucherNotYetValid",
    "VoucherRefunded",
    "VoucherRefused",
    "VoucherRestored",
    "VoucherStatus",
    "VoucherTerms",
    "VoucherTransferred",
    "VoucherUsedUp",
    "VoucherValidityChanged",
    "VoucherVerified",
    "VoucherVoid",
    "VoucherVoided",
    "check",
    "check_digit",
    "display",
    "issue_vouchers",
    "new_code",
    "system_random",
]
