"""The WeChat Pay API v3 client: mallcore's ``PaymentGateway`` over httpx.

Every request is signed (``Authorization``), every answer verified (signature,
timestamp, serial) before it is believed; errors become typed ``PaymentGatewayError``s.
The base URL is configurable, so the same client talks to the loopback fake.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from mallcore.errors import GatewayUnavailable, PaymentGatewayError, SignatureInvalid
from mallcore.payments import (
    JsapiPrepay,
    NativePrepay,
    PrepayRequest,
    RefundAnswer,
    RefundRequest,
    RefundState,
    RequestPayment,
    TradeQuery,
    TradeState,
)
from mallcore_adapters.wechatpay import signing
from mallcore_adapters.wechatpay.config import WeChatPayConfig
from mallcore_adapters.wechatpay.error_mapping import error_for
from mallcore_adapters.wechatpay.verifier import Clock, PlatformVerifier

PRODUCTION_URL = "https://api.mch.weixin.qq.com"
USER_AGENT = "mallcore-wechatpay/0.1"

Json = dict[str, Any]


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _fen(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def trade_query(data: Json) -> TradeQuery:
    amount = data.get("amount") or {}
    return TradeQuery(
        order_number=data["out_trade_no"], state=TradeState(data["trade_state"]),
        state_desc=data.get("trade_state_desc", ""), transaction_id=data.get("transaction_id"),
        total_fen=_fen(amount.get("total")), payer_total_fen=_fen(amount.get("payer_total")),
        success_time=_time(data.get("success_time")))


def refund_answer(data: Json) -> RefundAnswer:
    amount = data["amount"]
    return RefundAnswer(
        refund_number=data["out_refund_no"], refund_id=data["refund_id"],
        status=RefundState(data["status"]), refund_fen=amount["refund"],
        total_fen=amount["total"], order_number=data.get("out_trade_no"),
        success_time=_time(data.get("success_time")),
        user_received_account=data.get("user_received_account"))


class WeChatPayClient:
    """``mallcore.payments.PaymentGateway`` for one merchant (direct mode).

    ``clock`` gives the current aware datetime and ``nonce`` fresh nonces: both are
    injected, so nothing here reads the system clock or randomness by itself.
    """

    def __init__(self, config: WeChatPayConfig, *, clock: Clock,
                 base_url: str = PRODUCTION_URL, nonce: signing.Nonce = signing.new_nonce,
                 timeout: float = 10.0, http: httpx.Client | None = None) -> None:
        config.check(clock())  # an expired certificate is refused at once (PAY-1)
        self.config = config
        self._clock = clock
        self._nonce = nonce
        self._base_url = base_url.rstrip("/")
        self._prefix = urlsplit(self._base_url).path
        self._http = http if http is not None else httpx.Client(timeout=timeout)
        self._owns_http = http is None
        self.verifier = PlatformVerifier(
            config, clock=clock,
            fetch_certificates=None if config.public_key else self._fetch_certificates)

    def close_connections(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> WeChatPayClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_connections()

    # ------------------------------------------------------------------ transport
    def _send(self, method: str, path: str, payload: Json | None,
              operation: str) -> httpx.Response:
        now = self._clock()
        self.config.check(now)
        body = (json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
                if payload is not None else b"")
        headers = {
            "Authorization": signing.authorization(
                mch_id=self.config.mch_id, serial_no=self.config.cert_serial_no,
                private_key=self.config.private_key, method=method, path=self._prefix + path,
                body=body, timestamp=int(now.timestamp()), nonce=self._nonce()),
            "Accept": "application/json", "User-Agent": USER_AGENT,
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        if self.config.public_key_id:
            headers["Wechatpay-Serial"] = self.config.public_key_id
        try:
            return self._http.request(method, self._base_url + path, content=body,
                                      headers=headers)
        except httpx.HTTPError as exc:
            raise GatewayUnavailable(operation, f"no answer from WeChat Pay: {exc!r}",
                                     retryable=True) from exc

    def _call(self, method: str, path: str, payload: Json | None, operation: str) -> Json | None:
        response = self._send(method, path, payload, operation)
        body = response.content
        signed = "wechatpay-signature" in response.headers
        if response.is_success or signed:
            self.verifier.verify(response.headers, body, what=f"answer to {operation}")
        if not response.is_success:
            raise self._error(operation, response)
        if not body:
            return None
        try:
            data: Json = json.loads(body)
        except ValueError as exc:
            raise SignatureInvalid(f"answer to {operation}", "is not JSON") from exc
        return data

    @staticmethod
    def _error(operation: str, response: httpx.Response) -> PaymentGatewayError:
        code = message = None
        try:
            data = response.json()
            code, message = data.get("code"), data.get("message")
        except ValueError:
            message = response.text[:200] or None
        return error_for(operation, response.status_code, code, message)

    def _fetch_certificates(self) -> tuple[Mapping[str, str], bytes]:
        response = self._send("GET", "/v3/certificates", None, "fetch platform certificates")
        if not response.is_success:
            raise self._error("fetch platform certificates", response)
        return response.headers, response.content

    def _json(self, method: str, path: str, payload: Json | None, operation: str) -> Json:
        data = self._call(method, path, payload, operation)
        if data is None:
            raise SignatureInvalid(f"answer to {operation}", "has no body")
        return data

    # ------------------------------------------------------------------ operations
    def _prepay_payload(self, request: PrepayRequest) -> Json:
        payload: Json = {
            "appid": self.config.app_id, "mchid": self.config.mch_id,
            "description": request.description, "out_trade_no": request.order_number,
            "notify_url": request.notify_url,
            "amount": {"total": request.total_fen, "currency": request.currency},
        }
        if request.expires_at is not None:
            payload["time_expire"] = request.expires_at.isoformat(timespec="seconds")
        if request.attach is not None:
            payload["attach"] = request.attach
        if request.payer_openid is not None:
            payload["payer"] = {"openid": request.payer_openid}
        return payload

    def prepay_jsapi(self, request: PrepayRequest) -> JsapiPrepay:
        """Open a mini-program / JSAPI trade, and sign ``wx.requestPayment`` for it."""
        operation = f"JSAPI prepay of order {request.order_number}"
        if not request.payer_openid:
            raise error_for(operation, 400, "PARAM_ERROR", "payer openid is required for JSAPI")
        data = self._json("POST", "/v3/pay/transactions/jsapi", self._prepay_payload(request),
                          operation)
        prepay_id = str(data["prepay_id"])
        return JsapiPrepay(prepay_id, self.request_payment(prepay_id))

    def request_payment(self, prepay_id: str) -> RequestPayment:
        """``wx.requestPayment`` parameters; paySign over appId, timeStamp, nonceStr, package."""
        time_stamp = str(int(self._clock().timestamp()))
        nonce, package = self._nonce(), f"prepay_id={prepay_id}"
        pay_sign = signing.sign(self.config.private_key, signing.pay_sign_message(
            self.config.app_id, time_stamp, nonce, package))
        return RequestPayment(self.config.app_id, time_stamp, nonce, package, pay_sign)

    def prepay_native(self, request: PrepayRequest) -> NativePrepay:
        data = self._json("POST", "/v3/pay/transactions/native", self._prepay_payload(request),
                          f"native prepay of order {request.order_number}")
        return NativePrepay(str(data["code_url"]))

    def query(self, order_number: str) -> TradeQuery:
        path = (f"/v3/pay/transactions/out-trade-no/{quote(order_number, safe='')}"
                f"?mchid={quote(self.config.mch_id, safe='')}")
        return trade_query(self._json("GET", path, None, f"query of order {order_number}"))

    def close(self, order_number: str) -> None:
        path = f"/v3/pay/transactions/out-trade-no/{quote(order_number, safe='')}/close"
        self._call("POST", path, {"mchid": self.config.mch_id}, f"close of order {order_number}")

    def refund(self, request: RefundRequest) -> RefundAnswer:
        payload: Json = {"out_refund_no": request.refund_number}
        if request.transaction_id:
            payload["transaction_id"] = request.transaction_id
        else:
            payload["out_trade_no"] = request.order_number
        if request.reason:
            payload["reason"] = request.reason
        if request.notify_url:
            payload["notify_url"] = request.notify_url
        payload["amount"] = {"refund": request.refund_fen, "total": request.total_fen,
                             "currency": request.currency}
        return refund_answer(self._json("POST", "/v3/refund/domestic/refunds", payload,
                                        f"refund {request.refund_number} of order "
                                        f"{request.order_number}"))

    def query_refund(self, refund_number: str) -> RefundAnswer:
        path = f"/v3/refund/domestic/refunds/{quote(refund_number, safe='')}"
        return refund_answer(self._json("GET", path, None, f"query of refund {refund_number}"))
