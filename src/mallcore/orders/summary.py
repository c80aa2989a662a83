"""The searchable view of one order: a flat, immutable read model (ORD-10).

Search never touches the order aggregate.  A projection (in memory here, a table
row in a storage adapter) copies what the back-office list filters on into an
``OrderSummary``; ``mallcore.orders.search`` runs over these values only.  Every
field is a plain value — a text, a number, an aware datetime or a set of texts —
so a SQL adapter can store one column (or one child table for a set) per field.

Contract for the projection that builds summaries:

* ``status`` follows ORD-1, ``logistics`` follows ORD-4 (the values below);
* ``phone`` is normalised to ASCII digits with an optional leading ``+``
  (search matches phone suffixes, so separators must be gone);
* ``total_fen`` is the amount payable, in fen of the shop's currency;
* sets hold texts; pass any iterable of texts, never a single text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

import attrs

from mallcore.errors import InvalidInput
from mallcore.guards import aware, identifier, whole

__all__ = [
    "LOGISTICS_STATUSES",
    "ORDER_STATUSES",
    "PRODUCT_TYPES",
    "OrderSummary",
]

#: ORD-1, in lifecycle order: 未付款, 待发货 (paid), 已发货 (awaiting receipt), 已完成, 已关闭.
ORDER_STATUSES: tuple[str, ...] = (
    "pending_payment", "deposit_paid", "paid", "shipped", "completed", "closed",
)
#: ORD-4: 未发货, 部分发货, 已发货, 已签收.
LOGISTICS_STATUSES: tuple[str, ...] = ("not_shipped", "partially_shipped", "shipped", "signed")
#: CAT-1 product kinds: 实物 / 虚拟.
PRODUCT_TYPES: tuple[str, ...] = ("physical", "virtual")

_PHONE = re.compile(r"\+?[0-9]+")


class _SingleText(frozenset[str]):
    """What the set converter makes of a lone text, so the validator can name the field.

    ``frozenset("paid")`` is ``{"p", "a", "i", "d"}``: a silent, wrong filter.  attrs
    converters do not know their field, so the converter marks the value and
    ``check_text_set`` refuses it with the field's name.
    """

    text: str


def text_set(values: Iterable[str]) -> frozenset[str]:
    """attrs converter: any iterable of texts → ``frozenset``; a lone text is marked."""
    if isinstance(values, str):
        marked = _SingleText((values,))
        marked.text = values
        return marked
    return frozenset(values)


def check_text_set(value: frozenset[str], what: str, rule: str) -> None:
    """Refuse a lone text given where a set is expected, and non-text or blank members."""
    if isinstance(value, _SingleText):
        raise InvalidInput(
            what, f"{value.text!r} is one text; give a set such as {{{value.text!r}}}", rule=rule
        )
    for member in value:
        if not isinstance(member, str) or not member.strip():
            raise InvalidInput(what, f"{member!r} is not a non-blank text", rule=rule)


def check_choice(value: object, allowed: tuple[str, ...], what: str, rule: str) -> None:
    if value not in allowed:
        raise InvalidInput(what, f"{value!r} is not one of {', '.join(allowed)}", rule=rule)


_SETS = (
    "payment_methods",
    "payment_ids",
    "product_types",
    "activity_types",
    "tracking_numbers",
    "product_ids",
    "product_names",
    "categories",
    "brands",
    "sku_ids",
)


@attrs.frozen(kw_only=True)
class OrderSummary:
    """One order as the back-office order list sees it (004 订单管理 → 订单查询).

    Keyword-only: 22 fields are too many to pass by position.  Required: ``number``,
    ``status``, ``logistics``, ``placed_at``, ``total_fen``, ``customer_id``.

    Attributes:
        number: the order number (订单编号), unique in the shop.
        status: ORD-1 — ``pending_payment`` (未付款), ``deposit_paid`` (PRE-6:
            deposit paid, awaiting the balance), ``paid`` (待发货, awaiting
            shipment), ``shipped`` (已发货, awaiting receipt), ``completed``
            (已完成), ``closed`` (已关闭).
        logistics: ORD-4 — ``not_shipped``, ``partially_shipped``, ``shipped``,
            ``signed``.
        placed_at: when the order was placed (aware).
        paid_at: when payment was recorded (aware), ``None`` while unpaid.
        total_fen: the amount payable (订单总额), fen of the shop's currency, ≥ 0.
        payment_methods: how it was paid, e.g. ``wechat``, ``balance``, ``alipay``,
            ``manual`` (merchant-confirmed, ORD-2); several for split payments.
        payment_ids: gateway transaction ids (支付网关编号 / 支付编号).
        product_types: ``physical`` and / or ``virtual`` (商品类型).
        activity_types: marketing activities applied, e.g. ``reduction``,
            ``discount``, ``flash_sale`` (营销活动类型).
        star: the star colour the merchant marked it with (星标颜色), or ``None``.
        customer_id: the buyer.
        phone: contact phone (联系电话), digits with an optional leading ``+``.
        consignee: receiver name (收货人姓名).
        tracking_numbers: waybill numbers of every shipment (运单号, ORD-4).
        product_ids, product_names, categories, brands, sku_ids: of the lines.
        open_after_sales: after-sales applications awaiting a merchant decision.
        refund_requested: the buyer asked to cancel and refund (退单申请, ORD-8)
            and the merchant has not decided yet.
        ship_from: PRE-3 — the earliest date a pre-sale line ships from (set at
            payment), ``None`` when nothing waits for a ship date.
    """

    number: str
    status: str
    logistics: str
    placed_at: datetime
    paid_at: datetime | None = None
    total_fen: int
    payment_methods: frozenset[str] = attrs.field(default=frozenset(), converter=text_set)
    payment_ids: frozenset[str] = attrs.field(default=frozenset(), converter=text_set)
    product_types: frozenset[str] = attrs.field(default=frozenset(), converter=text_set)
    activity_types: frozenset[str] = attrs.field(default=frozenset(), converter=text_set)
    star: str | None = None
    customer_id: str
    phone: str | None = None
    consignee: str | None = None
    tracking_numbers: frozenset[str] = attrs.field(default=frozenset(), converter=text_set)
    product_ids: frozenset[str] = attrs.field(default=frozenset(), converter=text_set)
    product_names: frozenset[str] = attrs.field(default=frozenset(), converter=text_set)
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=text_set)
    brands: frozenset[str] = attrs.field(default=frozenset(), converter=text_set)
    sku_ids: frozenset[str] = attrs.field(default=frozenset(), converter=text_set)
    open_after_sales: int = 0
    refund_requested: bool = False
    ship_from: date | None = None

    def __attrs_post_init__(self) -> None:
        rule = "ORD-10"
        identifier(self.number, "order number", rule)
        check_choice(self.status, ORDER_STATUSES, f"order {self.number} status", "ORD-1")
        check_choice(self.logistics, LOGISTICS_STATUSES, f"order {self.number} logistics", "ORD-4")
        aware(self.placed_at, f"order {self.number} placed_at", rule)
        if self.paid_at is not None:
            aware(self.paid_at, f"order {self.number} paid_at", rule)
        identifier(self.customer_id, f"order {self.number} customer_id", rule)
        whole(self.total_fen, f"order {self.number} total_fen", rule)
        whole(self.open_after_sales, f"order {self.number} open_after_sales", rule)
        if not isinstance(self.refund_requested, bool):
            raise InvalidInput(
                f"order {self.number} refund_requested",
                f"{self.refund_requested!r} is not True or False",
                rule=rule,
            )
        for name in ("star", "consignee"):
            value = getattr(self, name)
            if value is not None:
                identifier(value, f"order {self.number} {name}", rule)
        if self.phone is not None and (
            not isinstance(self.phone, str) or not _PHONE.fullmatch(self.phone)
        ):
            raise InvalidInput(
                f"order {self.number} phone",
                f"{self.phone!r} is not digits with an optional leading + (normalise it)",
                rule=rule,
            )
        for name in _SETS:
            check_text_set(getattr(self, name), f"order {self.number} {name}", rule)
        for kind in self.product_types:
            check_choice(kind, PRODUCT_TYPES, f"order {self.number} product_types", rule)
