"""The pipeline's answer: what the buyer pays, and why, to the fen (PIPE-3, PIPE-4).

Everything is held in integer fen; ``Money`` is built only when asked for, so
pricing stays fast and the explanation stays exact.
"""

from __future__ import annotations

import enum
import functools
import string
from typing import TYPE_CHECKING, Any

import attrs

from mallcore.money import Money, format_yuan, from_fen
from mallcore.pricing.reasons import SkipReason

if TYPE_CHECKING:
    from mallcore.pricing.buyer import Buyer
    from mallcore.pricing.cart import CartLine


class Stage(enum.StrEnum):
    """Pipeline stages in order (PIPE-1); ``LIST`` is the price before any of them."""

    LIST = "list"
    ACTIVITIES = "activities"
    COUPONS = "coupons"
    MEMBERSHIP = "membership"
    POINTS = "points"

    @property
    def position(self) -> int:
        return _STAGE_INDEX[self]


STAGES = tuple(Stage)
_STAGE_INDEX = {stage: i for i, stage in enumerate(STAGES)}

#: Allocation key of the shipping fee (line ids are never empty).
SHIPPING = ""

#: A detail as the pipeline records it: text, or a template and its arguments,
#: formatted only when someone reads it (``{0:yuan}`` formats fen as yuan).
Detail = str | tuple[str, tuple[Any, ...]]


class _DetailFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "yuan":
            return format_yuan(value)
        return str(super().format_field(value, format_spec))


_FORMATTER = _DetailFormatter()


def detail_text(detail: Detail) -> str:
    if isinstance(detail, str):
        return detail
    template, args = detail
    return _FORMATTER.format(template, *args)


@attrs.frozen
class LineAmounts:
    """One line's amount after each stage, so a later partial refund is exact."""

    line_id: str
    sku_id: str
    product_id: str
    quantity: int
    family: str
    fen: tuple[int, ...]
    #: the id of the line rule (flash sale, limited-time, pre-sale) that priced it, or ""
    priced_by: str = ""
    #: the cart line it came from: itself, or the line it was split from (LTD-2 mode (b))
    source: str = ""

    def amount(self, stage: Stage, currency: str = "CNY") -> Money:
        return from_fen(self.fen[stage.position], currency)


@attrs.frozen
class AppliedPromotion:
    """A promotion that changed the price, with its saving split over lines."""

    stage: Stage
    id: str
    name: str
    kind: str
    saving_fen: int
    allocation: tuple[tuple[str, int], ...]  # (line id or SHIPPING, fen), sums to saving
    detail: str = ""

    def share_of(self, line_id: str) -> int:
        for key, fen in self.allocation:
            if key == line_id:
                return fen
        return 0


@attrs.frozen
class SkippedPromotion:
    """A promotion that was considered and did not apply, with a machine-readable why."""

    stage: Stage
    id: str
    name: str
    kind: str
    reason: SkipReason
    detail: str = ""
    related: tuple[str, ...] = ()


@attrs.frozen
class Gift:
    """Something granted after the order completes (ACT-1 gift coupons)."""

    kind: str
    ref: str
    quantity: int
    source: str


#: What the pipeline records while pricing: the fields of the promotion classes in
#: order, the detail not yet formatted.  Explanations are built when first read.
AppliedRecord = tuple[Stage, str, str, str, int, tuple[tuple[str, int], ...], Detail]
SkippedRecord = tuple[Stage, str, str, str, SkipReason, Detail, tuple[str, ...]]


@attrs.frozen
class PriceBreakdown:
    """Amounts are kept per stage (``stage_fen[stage][line]``); ``lines`` is a view.

    Pricing only records what happened; ``lines``, ``applied`` and ``skipped``
    are built on first access, so callers that want totals (simulations,
    ranking coupons) never pay for the explanation.
    """

    currency: str
    cart_lines: tuple[CartLine, ...]
    families: tuple[str, ...]
    stage_fen: tuple[tuple[int, ...], ...]
    shipping_fen: tuple[int, ...]
    applied_records: tuple[AppliedRecord, ...]
    skipped_records: tuple[SkippedRecord, ...]
    gifts: tuple[Gift, ...]
    points_used: int = 0
    #: per line, the id of the line rule that priced it ("" for none)
    priced_by: tuple[str, ...] = ()
    #: per line, the id of the cart line it came from (``()``: each is its own)
    sources: tuple[str, ...] = ()
    #: whom the cart was priced for (``None`` when built by hand)
    buyer: Buyer | None = None

    @functools.cached_property
    def applied(self) -> tuple[AppliedPromotion, ...]:
        """Each promotion that changed the price, with its allocation to lines."""
        return tuple(
            AppliedPromotion(stage, pid, name, kind, saving, allocation, detail_text(detail))
            for stage, pid, name, kind, saving, allocation, detail in self.applied_records
        )

    @functools.cached_property
    def skipped(self) -> tuple[SkippedPromotion, ...]:
        """Each promotion considered and not applied, with a machine-readable reason."""
        return tuple(
            SkippedPromotion(stage, pid, name, kind, reason, detail_text(detail), related)
            for stage, pid, name, kind, reason, detail, related in self.skipped_records
        )

    @functools.cached_property
    def lines(self) -> tuple[LineAmounts, ...]:
        """Each line's amount after each stage, so a later partial refund is exact."""
        per_line = tuple(zip(*self.stage_fen, strict=True))
        count = len(self.cart_lines)
        priced_by = self.priced_by or ("",) * count
        sources = self.sources or tuple(line.line_id for line in self.cart_lines)
        return tuple(
            LineAmounts(line.line_id, line.sku_id, line.product_id, line.quantity, family, fen,
                        rule, source)
            for line, family, fen, rule, source in zip(
                self.cart_lines, self.families, per_line, priced_by, sources, strict=True)
        )

    def source_lines(self) -> tuple[CartLine, ...]:
        """The cart as it was given: lines split at stage 1 (LTD-2 mode (b)) joined
        back under their own id, with their whole quantity."""
        if not self.sources:
            return self.cart_lines
        quantities: dict[str, int] = {}
        first: dict[str, CartLine] = {}
        for line, source in zip(self.cart_lines, self.sources, strict=True):
            quantities[source] = quantities.get(source, 0) + line.quantity
            if line.line_id == source:
                first[source] = line
        return tuple(attrs.evolve(line, quantity=quantities[source])
                     for source, line in first.items())

    # -- totals ---------------------------------------------------------------
    def total_fen(self, stage: Stage) -> int:
        i = stage.position
        return self.shipping_fen[i] + sum(self.stage_fen[i])

    def total(self, stage: Stage) -> Money:
        return from_fen(self.total_fen(stage), self.currency)

    @property
    def payable_fen(self) -> int:
        return self.total_fen(Stage.POINTS)

    @property
    def payable(self) -> Money:
        return from_fen(self.payable_fen, self.currency)

    @property
    def list_total(self) -> Money:
        return self.total(Stage.LIST)

    @property
    def gift_basis(self) -> Money:
        """PIPE-6: what pay-gifts are computed on: goods actually paid, no shipping."""
        return from_fen(sum(self.stage_fen[-1]), self.currency)

    def stage_totals(self) -> dict[Stage, Money]:
        return {stage: self.total(stage) for stage in STAGES}

    def line(self, line_id: str) -> LineAmounts:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise KeyError(line_id)

    def applied_in(self, stage: Stage) -> tuple[AppliedPromotion, ...]:
        return tuple(p for p in self.applied if p.stage is stage)

    def skipped_in(self, stage: Stage) -> tuple[SkippedPromotion, ...]:
        return tuple(p for p in self.skipped if p.stage is stage)

    # -- presentation ---------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: amounts are yuan strings with 2 decimals, never floats."""
        return {
            "currency": self.currency,
            "stages": [
                {
                    "stage": stage.value,
                    "total": format_yuan(self.total_fen(stage)),
                    "saving": format_yuan(
                        0 if stage is Stage.LIST
                        else self.total_fen(STAGES[stage.position - 1]) - self.total_fen(stage)
                    ),
                    "applied": [p.id for p in self.applied_in(stage)],
                }
                for stage in STAGES
            ],
            "payable": format_yuan(self.payable_fen),
            "lines": [
                {
                    "line": line.line_id,
                    "sku": line.sku_id,
                    "product": line.product_id,
                    "quantity": line.quantity,
                    "family": line.family,
                    "amounts": {s.value: format_yuan(line.fen[s.position]) for s in STAGES},
                }
                for line in self.lines
            ],
            "shipping": {s.value: format_yuan(self.shipping_fen[s.position]) for s in STAGES},
            "applied": [
                {
                    "stage": p.stage.value,
                    "id": p.id,
                    "name": p.name,
                    "kind": p.kind,
                    "saving": format_yuan(p.saving_fen),
                    "allocation": {
                        key: format_yuan(fen) for key, fen in p.allocation if key != SHIPPING
                    },
                    "shipping": format_yuan(p.share_of(SHIPPING)),
                    "detail": p.detail,
                }
                for p in self.applied
            ],
            "skipped": [
                {
                    "stage": p.stage.value,
                    "id": p.id,
                    "name": p.name,
                    "kind": p.kind,
                    "reason": p.reason.value,
                    "detail": p.detail,
                    "related": list(p.related),
                }
                for p in self.skipped
            ],
            "gifts": [
                {"kind": g.kind, "ref": g.ref, "quantity": g.quantity, "source": g.source}
                for g in self.gifts
            ],
            "points_used": self.points_used,
            "gift_basis": format_yuan(sum(self.stage_fen[-1])),
        }

    def render(self) -> str:
        from mallcore.pricing.render import render_text

        return render_text(self)

    def __str__(self) -> str:
        return self.render()

    def _repr_html_(self) -> str:
        from mallcore.pricing.render import render_html

        return render_html(self)
