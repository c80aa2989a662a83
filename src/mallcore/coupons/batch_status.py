"""Where a coupon batch is in its life (CPN-3): draft, published, voided or deleted.

Only the statuses live here, so that the code ledger and the read views can
derive a code's state from them; which moves are allowed, and what each move
does, is the batch's lifecycle in ``batches``.
"""

from __future__ import annotations

import enum

__all__ = ["BatchStatus"]


class BatchStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    VOIDED = "voided"
    DELETED = "deleted"
