"""The ordered discount pipeline: a cart in, a self-explaining ``PriceBreakdown`` out."""

from mallcore.pricing.breakdown import (
    SHIPPING,
    STAGES,
    AppliedPromotion,
    Gift,
    LineAmounts,
    PriceBreakdown,
    SkippedPromotion,
    Stage,
)
from mallcore.pricing.buyer import GUEST, Buyer
from mallcore.pricing.cart import Cart, CartLine
from mallcore.pricing.line_rules import LinePrice, LinePriceRule, LineSkip
from mallcore.pricing.pipeline import PipelinePolicy, PricingPipeline
from mallcore.pricing.reasons import SkipReason

__all__ = [
    "GUEST",
    "SHIPPING",
    "STAGES",
    "AppliedPromotion",
    "Buyer",
    "Cart",
    "CartLine",
    "Gift",
    "LineAmounts",
    "LinePrice",
    "LinePriceRule",
    "LineSkip",
    "PipelinePolicy",
    "PriceBreakdown",
    "PricingPipeline",
    "SkipReason",
    "SkippedPromotion",
    "Stage",
]
