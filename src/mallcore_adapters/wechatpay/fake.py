"""A loopback WeChat Pay API v3 that speaks the real protocol, for tests and demos.

Like moto for AWS: a stdlib ``http.server`` in a thread on ``127.0.0.1:0``.  It verifies
the merchant's ``Authorization`` signatures (401 SIGN_ERROR otherwise), checks that
appid and mchid match (APPID_MCHID_NOT_MATCH), keeps trades and refunds, signs every
answer with its own platform key, and serves both verification modes: the WeChat Pay
public key (``PUB_KEY_ID_…``) or platform certificates on ``/v3/certificates``
(AEAD-encrypted, self-signed).  It can be told to fail (``fail("refund", "NOT_ENOUGH")``),
and builds and POSTs signed, encrypted payment and refund notifications and probes.

    merchant = MerchantIdentity.generate(now)
    with FakeWeChatPay(merchant) as fake:
        client = WeChatPayClient(fake.client_config(), base_url=fake.base_url, clock=…)
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from mallcore_adapters.wechatpay import aead, signing
from mallcore_adapters.wechatpay.config import PUBLIC_KEY_ID_PREFIX, WeChatPayConfig
from mallcore_adapters.wechatpay.fake_ledger import CST, FakeError, FakeLedger, Json
from mallcore_adapters.wechatpay.identity import (
    MerchantIdentity,
    certificate_pem,
    new_rsa_key,
    public_pem,
    self_signed,
    serial_of,
)

PUBLIC_KEY = "public_key"
CERTIFICATES = "platform_certificates"
TRADE = "/v3/pay/transactions/out-trade-no/"
REFUNDS = "/v3/refund/domestic/refunds"

Headers = dict[str, str]


class FakeWeChatPay:
    """One merchant's WeChat Pay, on loopback.  ``clock`` returns epoch seconds."""

    def __init__(self, merchant: MerchantIdentity, *, mode: str = PUBLIC_KEY,
                 clock: Callable[[], float] = time.time, app_ids: tuple[str, ...] = (),
                 platform_key: RSAPrivateKey | None = None) -> None:
        if mode not in (PUBLIC_KEY, CERTIFICATES):
            raise ValueError(f"mode must be {PUBLIC_KEY!r} or {CERTIFICATES!r}")
        self.merchant = merchant
        self.mode = mode
        self._clock = clock
        self.ledger = FakeLedger(merchant.mch_id, frozenset((merchant.app_id, *app_ids)), clock)
        self.platform_key = platform_key if platform_key is not None else new_rsa_key()
        self.public_key_id = PUBLIC_KEY_ID_PREFIX + "".join(
            secrets.choice("0123456789") for _ in range(24))
        now = datetime.fromtimestamp(clock(), UTC)
        self.platform_certificate = self_signed(
            self.platform_key, "Tenpay.com Root CA (fake)", not_before=now - timedelta(days=1),
            not_after=now + timedelta(days=5 * 365))
        self.requests: list[tuple[str, str]] = []  # (method, path) of every authorised call
        self._failures: dict[str, list[tuple[int, str, str]]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ keys
    @property
    def serial(self) -> str:
        """What ``Wechatpay-Serial`` says on our signatures."""
        return self.public_key_id if self.mode == PUBLIC_KEY else serial_of(
            self.platform_certificate)

    @property
    def platform_public_key(self) -> RSAPublicKey:
        return self.platform_key.public_key()

    @property
    def platform_public_key_pem(self) -> str:
        return public_pem(self.platform_key)

    def client_config(self, **changes: object) -> WeChatPayConfig:
        """The merchant's configuration for this fake: public-key mode gets the key."""
        if self.mode == PUBLIC_KEY:
            changes = {"public_key_id": self.public_key_id,
                       "public_key": self.platform_public_key, **changes}
        return self.merchant.config(**changes)

    # ------------------------------------------------------------------ server
    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeWeChatPay:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,),
                                        name="fake-wechatpay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeWeChatPay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ scripting
    def fail(self, operation: str, code: str, *, status: int | None = None,
             message: str | None = None, times: int = 1) -> None:
        """The next ``times`` calls of ``operation`` (jsapi, native, query, close, refund,
        refund_query, certificates) answer with ``code``."""
        status = status if status is not None else _STATUS.get(code, 400)
        entry = (status, code, message or _MESSAGES.get(code, code))
        with self.ledger.lock:
            self._failures.setdefault(operation, []).extend([entry] * times)

    def _scripted_failure(self, operation: str) -> None:
        with self.ledger.lock:
            queue = self._failures.get(operation)
            if queue:
                status, code, message = queue.pop(0)
                raise FakeError(status, code, message)

    def pay(self, out_trade_no: str) -> Json:
        """The buyer pays in WeChat: the trade succeeds."""
        return self.ledger.pay(out_trade_no)

    def settle_refund(self, out_refund_no: str, status: str = "SUCCESS") -> Json:
        return self.ledger.settle_refund(out_refund_no, status)

    # ------------------------------------------------------------------ signing
    def sign(self, body: bytes, *, timestamp: int | None = None, nonce: str | None = None,
             serial: str | None = None) -> Headers:
        """``Wechatpay-*`` headers over ``body``, as WeChat signs answers and notices."""
        ts = str(int(self._clock()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_hex(16).upper()
        signature = signing.sign(self.platform_key, signing.response_message(ts, nonce, body))
        return {"Wechatpay-Signature": signature, "Wechatpay-Timestamp": ts,
                "Wechatpay-Nonce": nonce, "Wechatpay-Serial": serial or self.serial,
                "Wechatpay-Signature-Type": signing.SCHEME}

    def _encrypted(self, plain: Json, associated_data: str) -> Json:
        nonce = secrets.token_hex(6)
        text = json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode()
        return {"algorithm": aead.ALGORITHM, "associated_data": associated_data,
                "nonce": nonce,
                "ciphertext": aead.encrypt(self.merchant.apiv3_key, nonce, associated_data, text)}

    # ------------------------------------------------------------------ notices
    def _notice(self, event_type: str, summary: str, original_type: str, plain: Json,
                timestamp: int | None) -> tuple[Headers, bytes]:
        resource = self._encrypted(plain, original_type)
        resource["original_type"] = original_type
        envelope = {
            "id": f"EV-{secrets.token_hex(10)}",
            "create_time": datetime.fromtimestamp(self._clock(), UTC).astimezone(CST)
            .isoformat(timespec="seconds"),
            "resource_type": "encrypt-resource", "event_type": event_type,
            "summary": summary, "resource": resource,
        }
        body = json.dumps(envelope, ensure_ascii=False).encode()
        return {**self.sign(body, timestamp=timestamp),
                "Content-Type": "application/json"}, body

    def payment_notice(self, out_trade_no: str, *, total: int | None = None,
                       timestamp: int | None = None) -> tuple[Headers, bytes]:
        """TRANSACTION.SUCCESS for a paid trade; ``total`` overrides the amount."""
        plain = self.ledger.transaction_resource(out_trade_no, total=total)
        return self._notice("TRANSACTION.SUCCESS", "支付成功", "transaction", plain, timestamp)

    def refund_notice(self, out_refund_no: str, *,
                      timestamp: int | None = None) -> tuple[Headers, bytes]:
        """REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED for a refund's current status."""
        plain = self.ledger.refund_resource(out_refund_no)
        status = plain["refund_status"]
        summary = {"SUCCESS": "退款成功", "ABNORMAL": "退款异常", "CLOSED": "退款关闭"}.get(
            status, "退款处理中")
        return self._notice(f"REFUND.{status}", summary, "refund", plain, timestamp)

    def probe_notice(self, out_trade_no: str) -> tuple[Headers, bytes]:
        """A signature probe: a real-looking notice whose signature is WECHATPAY/SIGNTEST/…"""
        headers, body = self.payment_notice(out_trade_no)
        headers["Wechatpay-Signature"] = signing.PROBE_PREFIX + headers["Wechatpay-Signature"]
        return headers, body

    @staticmethod
    def deliver(url: str, headers: Mapping[str, str], body: bytes,
                timeout: float = 10.0) -> tuple[int, bytes]:
        """POST a notice as WeChat does; returns the merchant's status and body."""
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def notify_payment(self, out_trade_no: str, url: str | None = None,
                       **options: Any) -> tuple[int, bytes]:
        """Build the payment notice and POST it to the trade's notify_url (or ``url``)."""
        headers, body = self.payment_notice(out_trade_no, **options)
        return self.deliver(url or self.ledger.trade(out_trade_no)["notify_url"], headers, body)

    def notify_refund(self, out_refund_no: str, url: str | None = None,
                      **options: Any) -> tuple[int, bytes]:
        headers, body = self.refund_notice(out_refund_no, **options)
        target = url or self.ledger.refund_record(out_refund_no)["notify_url"]
        return self.deliver(target, headers, body)

    # ------------------------------------------------------------------ requests
    def authorise(self, method: str, target: str, headers: Mapping[str, str],
                  body: bytes) -> None:
        """Check the merchant's Authorization as WeChat does, or raise 401 SIGN_ERROR."""
        try:
            fields = signing.parse_authorization(headers.get("Authorization", ""))
        except ValueError as exc:
            raise FakeError(401, "SIGN_ERROR", f"Authorization 格式错误: {exc}") from exc
        if fields["mchid"] != self.merchant.mch_id:
            raise FakeError(401, "SIGN_ERROR", "商户号与证书不匹配")
        if fields["serial_no"].upper() != self.merchant.serial_no:
            raise FakeError(401, "SIGN_ERROR", "商户证书序列号有误")
        if not fields["timestamp"].isdigit() or abs(
                self._clock() - int(fields["timestamp"])) >= signing.MAX_SKEW_SECONDS:
            raise FakeError(401, "SIGN_ERROR", "请求时间戳已过期")
        message = signing.request_message(method, target, int(fields["timestamp"]),
                                          fields["nonce_str"], body)
        if not signing.verify(self.merchant.certificate.public_key(),  # type: ignore[arg-type]
                              message, fields["signature"]):
            raise FakeError(401, "SIGN_ERROR", "签名错误")

    def answer(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes) -> tuple[int, Json | None]:
        """Route one request: (status, JSON answer or None for 204)."""
        self.authorise(method, target, headers, body)
        self.requests.append((method, target))
        split = urlsplit(target)
        path, query = split.path, parse_qs(split.query)
        data: Json = json.loads(body) if body else {}
        if method == "GET" and path == "/v3/certificates":
            return self._certificates()
        if method == "POST" and path in ("/v3/pay/transactions/jsapi",
                                         "/v3/pay/transactions/native"):
            kind = path.rsplit("/", 1)[1]
            self._scripted_failure(kind)
            trade = self.ledger.prepay(kind.upper(), data)
            if kind == "jsapi":
                return 200, {"prepay_id": trade["prepay_id"]}
            return 200, {"code_url": trade["code_url"]}
        if path.startswith(TRADE):
            number = unquote(path[len(TRADE):].removesuffix("/close"))
            if method == "POST" and path.endswith("/close"):
                self._scripted_failure("close")
                self.ledger.close(number, data)
                return 204, None
            if method == "GET":
                self._scripted_failure("query")
                if query.get("mchid") != [self.merchant.mch_id]:
                    raise FakeError(400, "PARAM_ERROR", "mchid 与请求商户号不一致")
                return 200, self.ledger.query_answer(number)
        if method == "POST" and path == REFUNDS:
            self._scripted_failure("refund")
            return 200, self.ledger.refund_answer(self.ledger.refund(data)["out_refund_no"])
        if method == "GET" and path.startswith(REFUNDS + "/"):
            self._scripted_failure("refund_query")
            return 200, self.ledger.refund_answer(unquote(path[len(REFUNDS) + 1:]))
        raise FakeError(404, "NOT_FOUND", f"no such API: {method} {path}")

    def _certificates(self) -> tuple[int, Json]:
        self._scripted_failure("certificates")
        if self.mode != CERTIFICATES:
            raise FakeError(404, "RESOURCE_NOT_EXISTS", "商户未使用平台证书")
        cert = self.platform_certificate
        return 200, {"data": [{
            "serial_no": serial_of(cert),
            "effective_time": cert.not_valid_before_utc.astimezone(CST).isoformat(),
            "expire_time": cert.not_valid_after_utc.astimezone(CST).isoformat(),
            "encrypt_certificate": self._encrypted_pem(certificate_pem(cert)),
        }]}

    def _encrypted_pem(self, pem: str) -> Json:
        nonce = secrets.token_hex(6)
        return {"algorithm": aead.ALGORITHM, "associated_data": "certificate", "nonce": nonce,
                "ciphertext": aead.encrypt(self.merchant.apiv3_key, nonce, "certificate",
                                           pem.encode())}


_STATUS = {"SIGN_ERROR": 401, "NOT_ENOUGH": 403, "NO_AUTH": 403, "ORDERPAID": 403,
           "OUT_TRADE_NO_USED": 403, "USER_ACCOUNT_ABNORMAL": 403, "ORDERNOTEXIST": 404,
           "RESOURCE_NOT_EXISTS": 404, "FREQUENCY_LIMITED": 429, "SYSTEM_ERROR": 500,
           "BANKERROR": 500}
_MESSAGES = {"NOT_ENOUGH": "基本账户余额不足，请充值后重新发起", "SYSTEM_ERROR": "系统错误",
             "FREQUENCY_LIMITED": "频率超限", "ORDER_CLOSED": "订单已关闭",
             "ORDERPAID": "该订单已支付", "NO_AUTH": "商户无权限",
             "APPID_MCHID_NOT_MATCH": "appid和mch_id不匹配", "SIGN_ERROR": "签名错误"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _serve(self, method: str) -> None:
        fake: FakeWeChatPay = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items()}
        try:
            status, data = fake.answer(method, self.path, headers, body)
        except FakeError as error:
            status, data = error.status, {"code": error.code, "message": error.message}
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            status, data = 400, {"code": "PARAM_ERROR", "message": f"bad request: {error}"}
        payload = b"" if data is None else json.dumps(data, ensure_ascii=False).encode()
        self.send_response(status)
        for name, value in fake.sign(payload).items():
            self.send_header(name, value)
        self.send_header("Request-ID", secrets.token_hex(12))
        if data is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")
