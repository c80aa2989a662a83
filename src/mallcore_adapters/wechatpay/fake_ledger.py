"""The fake WeChat Pay's books: trades and refunds, with WeChat's rules and error codes.

No HTTP here; ``fake.py`` puts it behind a loopback server.  Answers have the shape of
the real API v3 JSON (field names, states, amounts in fen).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

Json = dict[str, Any]
CST = timezone(timedelta(hours=8))


class FakeError(Exception):
    """An error answer: HTTP status, WeChat code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def _require(data: Json, *names: str) -> None:
    for name in names:
        if data.get(name) in (None, ""):
            raise FakeError(400, "PARAM_ERROR",
                            f"输入源“/body/{name}”映射到字段“{name}”必填性规则校验失败")


def _amount(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise FakeError(400, "PARAM_ERROR", f"{name} 必须为正整数 (分)")
    return value


class FakeLedger:
    """Trades by out_trade_no and refunds by out_refund_no, for one merchant."""

    def __init__(self, mch_id: str, app_ids: frozenset[str], clock: Callable[[], float]) -> None:
        self.mch_id = mch_id
        self.app_ids = app_ids
        self._clock = clock
        self.trades: dict[str, Json] = {}
        self.refunds: dict[str, Json] = {}
        self.refund_status = "PROCESSING"  # what a new refund answers with
        self._ids = itertools.count(1)
        self.lock = threading.RLock()

    def _now(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).astimezone(CST).isoformat(
            timespec="seconds")

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):0{28 - len(prefix)}d}"

    # ------------------------------------------------------------------ trades
    def prepay(self, kind: str, data: Json) -> Json:
        _require(data, "appid", "mchid", "description", "out_trade_no", "notify_url", "amount")
        if data["mchid"] != self.mch_id or data["appid"] not in self.app_ids:
            raise FakeError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        total = _amount(data["amount"].get("total"), "amount.total")
        openid = (data.get("payer") or {}).get("openid")
        if kind == "JSAPI" and not openid:
            raise FakeError(400, "PARAM_ERROR", "JSAPI 下单 payer.openid 必填")
        number = data["out_trade_no"]
        with self.lock:
            trade = self.trades.get(number)
            if trade is not None:
                if trade["trade_state"] in ("SUCCESS", "REFUND"):
                    raise FakeError(403, "ORDERPAID", "该订单已支付")
                if trade["trade_state"] == "CLOSED":
                    raise FakeError(400, "ORDER_CLOSED", "订单已关闭")
                if trade["amount"]["total"] != total or trade["trade_type"] != kind:
                    raise FakeError(403, "OUT_TRADE_NO_USED", "商户订单号重复")
                return trade
            trade = {
                "appid": data["appid"], "mchid": self.mch_id, "out_trade_no": number,
                "trade_type": kind, "trade_state": "NOTPAY", "trade_state_desc": "订单未支付",
                "description": data["description"], "notify_url": data["notify_url"],
                "attach": data.get("attach", ""),
                "amount": {"total": total, "currency": data["amount"].get("currency", "CNY")},
                "payer": {"openid": openid} if openid else {},
                "prepay_id": "wx" + self._id("")[2:], "transaction_id": None,
                "success_time": None,
            }
            if kind == "NATIVE":
                trade["code_url"] = f"weixin://wxpay/bizpayurl?pr={next(self._ids):07d}"
            self.trades[number] = trade
            return trade

    def trade(self, number: str) -> Json:
        trade = self.trades.get(number)
        if trade is None:
            raise FakeError(404, "ORDERNOTEXIST", "订单不存在")
        return trade

    def query_answer(self, number: str) -> Json:
        with self.lock:
            trade = self.trade(number)
            answer: Json = {
                "appid": trade["appid"], "mchid": trade["mchid"],
                "out_trade_no": trade["out_trade_no"], "trade_state": trade["trade_state"],
                "trade_state_desc": trade["trade_state_desc"], "attach": trade["attach"],
                "amount": {"total": trade["amount"]["total"], "currency": "CNY",
                           "payer_currency": "CNY"},
            }
            if trade["transaction_id"]:
                answer.update({
                    "transaction_id": trade["transaction_id"], "trade_type": trade["trade_type"],
                    "bank_type": "OTHERS", "success_time": trade["success_time"],
                    "payer": trade["payer"], "promotion_detail": [],
                })
                answer["amount"]["payer_total"] = trade["amount"]["total"]
            return answer

    def close(self, number: str, data: Json) -> None:
        if data.get("mchid") != self.mch_id:
            raise FakeError(400, "PARAM_ERROR", "mchid 与请求商户号不一致")
        with self.lock:
            trade = self.trade(number)
            if trade["trade_state"] in ("SUCCESS", "REFUND"):
                raise FakeError(400, "ORDERPAID", "订单已支付，不能关闭")
            trade.update(trade_state="CLOSED", trade_state_desc="订单已关闭")

    def pay(self, number: str, *, openid: str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") -> Json:
        """The buyer pays: the trade succeeds and gets a transaction id."""
        with self.lock:
            trade = self.trade(number)
            if trade["trade_state"] == "CLOSED":
                raise FakeError(400, "ORDER_CLOSED", "订单已关闭")
            if trade["transaction_id"] is None:
                trade.update(trade_state="SUCCESS", trade_state_desc="支付成功",
                             transaction_id=self._id("42000"), success_time=self._now())
                trade["payer"] = trade["payer"] or {"openid": openid}
            return trade

    def transaction_resource(self, number: str, *, total: int | None = None) -> Json:
        """What a TRANSACTION.SUCCESS notice carries (``total`` overrides the amount)."""
        with self.lock:
            trade = self.trade(number)
            if trade["transaction_id"] is None:
                raise FakeError(400, "INVALID_REQUEST", "订单未支付")
            paid = trade["amount"]["total"] if total is None else total
            return {
                "mchid": trade["mchid"], "appid": trade["appid"],
                "out_trade_no": trade["out_trade_no"],
                "transaction_id": trade["transaction_id"], "trade_type": trade["trade_type"],
                "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS",
                "attach": trade["attach"], "success_time": trade["success_time"],
                "payer": trade["payer"],
                "amount": {"total": paid, "payer_total": paid, "currency": "CNY",
                           "payer_currency": "CNY"},
            }

    # ------------------------------------------------------------------ refunds
    def refund(self, data: Json) -> Json:
        _require(data, "out_refund_no", "amount")
        refund_fen = _amount(data["amount"].get("refund"), "amount.refund")
        total = _amount(data["amount"].get("total"), "amount.total")
        with self.lock:
            trade = self._trade_for_refund(data)
            if trade["trade_state"] not in ("SUCCESS", "REFUND"):
                raise FakeError(400, "INVALID_REQUEST", "订单未支付，不能退款")
            if total != trade["amount"]["total"]:
                raise FakeError(400, "PARAM_ERROR", "订单金额与原订单金额不一致")
            number = data["out_refund_no"]
            existing = self.refunds.get(number)
            if existing is not None:
                if existing["amount"]["refund"] != refund_fen:
                    raise FakeError(400, "INVALID_REQUEST", "退款金额与之前请求不一致")
                return existing
            refunded = sum(r["amount"]["refund"] for r in self.refunds.values()
                           if r["out_trade_no"] == trade["out_trade_no"]
                           and r["status"] != "CLOSED")
            if refunded + refund_fen > total:
                raise FakeError(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
            refund = {
                "refund_id": self._id("50000"), "out_refund_no": number,
                "transaction_id": trade["transaction_id"], "out_trade_no": trade["out_trade_no"],
                "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
                "create_time": self._now(), "status": self.refund_status,
                "funds_account": "AVAILABLE", "notify_url": data.get("notify_url"),
                "amount": {"total": total, "refund": refund_fen, "payer_total": total,
                           "payer_refund": refund_fen, "settlement_total": total,
                           "settlement_refund": refund_fen, "discount_refund": 0,
                           "currency": "CNY", "refund_fee": 0},
                "promotion_detail": [],
            }
            if self.refund_status == "SUCCESS":
                refund["success_time"] = self._now()
            self.refunds[number] = refund
            trade.update(trade_state="REFUND", trade_state_desc="转入退款")
            return refund

    def _trade_for_refund(self, data: Json) -> Json:
        if data.get("transaction_id"):
            for trade in self.trades.values():
                if trade["transaction_id"] == data["transaction_id"]:
                    return trade
        elif data.get("out_trade_no") in self.trades:
            return self.trades[data["out_trade_no"]]
        raise FakeError(404, "RESOURCE_NOT_EXISTS", "订单不存在")

    def refund_record(self, number: str) -> Json:
        refund = self.refunds.get(number)
        if refund is None:
            raise FakeError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        return refund

    def refund_answer(self, number: str) -> Json:
        with self.lock:
            return {k: v for k, v in self.refund_record(number).items() if k != "notify_url"}

    def settle_refund(self, number: str, status: str = "SUCCESS") -> Json:
        with self.lock:
            refund = self.refund_record(number)
            refund["status"] = status
            if status == "SUCCESS":
                refund["success_time"] = self._now()
            return refund

    def refund_resource(self, number: str) -> Json:
        """What a REFUND.* notice carries."""
        with self.lock:
            refund = self.refund_record(number)
            amount = refund["amount"]
            resource = {
                "mchid": self.mch_id, "out_trade_no": refund["out_trade_no"],
                "transaction_id": refund["transaction_id"],
                "out_refund_no": refund["out_refund_no"], "refund_id": refund["refund_id"],
                "refund_status": refund["status"],
                "user_received_account": refund["user_received_account"],
                "amount": {"total": amount["total"], "refund": amount["refund"],
                           "payer_total": amount["payer_total"],
                           "payer_refund": amount["payer_refund"]},
            }
            if refund.get("success_time"):
                resource["success_time"] = refund["success_time"]
            return resource
