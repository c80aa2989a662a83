"""Machine-readable reasons a considered promotion did not apply (PIPE-4)."""

from __future__ import annotations

import enum


class SkipReason(enum.StrEnum):
    THRESHOLD_NOT_MET = "threshold_not_met"
    EXCLUDED_PRODUCT = "excluded_product"  # no line of the cart is in its scope
    CUSTOMER_NOT_ELIGIBLE = "customer_not_eligible"
    EXCLUSIVE = "exclusive"  # its lines went to a better activity (ACT-4, PIPE-2)
    OUTSIDE_WINDOW = "outside_window"
    LIMIT_REACHED = "limit_reached"
    NOT_STACKABLE = "not_stackable"  # every line's family forbids it (PIPE-5)
    REGION_EXCLUDED = "region_excluded"
    DELIVERY_METHOD = "delivery_method_not_eligible"
    ALREADY_FREE = "already_free"  # shipping already waived by another promotion
    NO_MEMBER_DISCOUNT = "no_member_discount"
    POINTS_DISABLED = "points_disabled"
    NOTHING_TO_DISCOUNT = "nothing_to_discount"
