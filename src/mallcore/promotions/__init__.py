"""Marketing activities and the rules for combining promotions (ACT, PIPE-5)."""

from mallcore.promotions.activities import (
    Activity,
    DiscountTier,
    EveryReduction,
    FreeShipping,
    GiftCoupons,
    GiftTier,
    ReductionTier,
    TieredDiscount,
    TieredReduction,
)
from mallcore.promotions.config import validate_activities
from mallcore.promotions.recurrence import Daily, Monthly, RecurringWindow, Weekly
from mallcore.promotions.scope import (
    ALL_PRODUCTS,
    EVERYONE,
    Audience,
    CustomerScope,
    ProductScope,
)
from mallcore.promotions.stacking import (
    FLASH_SALE,
    LIMITED_TIME,
    PRE_SALE,
    REGULAR,
    BenefitKind,
    Stacking,
)
from mallcore.promotions.window import ALWAYS, Window

__all__ = [
    "ALL_PRODUCTS",
    "ALWAYS",
    "EVERYONE",
    "FLASH_SALE",
    "LIMITED_TIME",
    "PRE_SALE",
    "REGULAR",
    "Activity",
    "Audience",
    "BenefitKind",
    "CustomerScope",
    "Daily",
    "DiscountTier",
    "EveryReduction",
    "FreeShipping",
    "GiftCoupons",
    "GiftTier",
    "Monthly",
    "ProductScope",
    "RecurringWindow",
    "ReductionTier",
    "Stacking",
    "TieredDiscount",
    "TieredReduction",
    "Weekly",
    "Window",
    "validate_activities",
]
