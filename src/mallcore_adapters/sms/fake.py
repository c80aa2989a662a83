"""Loopback fakes of Tencent Cloud SMS and Alibaba Cloud SMS for tests and demos.

Each is a stdlib ``http.server`` on 127.0.0.1, port 0, in a daemon thread.  It
checks what the real service checks, from the request bytes and with its own
code (not ``signing.py``): the signature, the clock skew, the action and
version, the number cap.  It answers with the providers' real codes
(``AuthFailure.SignatureFailure``, ``SignatureDoesNotMatch`` …) and can fail
chosen numbers or run out of balance.  Every request it accepted or refused is
kept in ``requests`` for assertions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar
from urllib.parse import parse_qsl, quote

__all__ = ["FakeAliyunSms", "FakeTencentSms", "Received"]

_MOBILE = re.compile(r"1[3-9]\d{9}")


class Received:
    """One request as the fake saw it: headers, raw body, and what it answered."""

    def __init__(self, headers: dict[str, str], body: bytes, numbers: list[str]) -> None:
        self.headers = headers
        self.body = body
        self.numbers = numbers
        self.error: str | None = None


class _LoopbackServer:
    """Start/stop plumbing shared by both fakes; ``handle`` is the provider logic."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.requests: list[Received] = []
        self.balance: int | None = None  # messages left; None = unlimited
        self.fail_numbers: dict[str, str] = {}  # 11-digit number → provider error code
        self.next_error: str | None = None  # fail the next request with this code
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with fake._lock:
                    status, answer = fake.handle(self.command, self.path, headers, body)
                raw = json.dumps(answer, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet: numbers must not reach stderr either

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> _LoopbackServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def handle(self, method: str, path: str, headers: dict[str, str],
               body: bytes) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError

    def _charge(self) -> bool:
        if self.balance is None:
            return True
        if self.balance <= 0:
            return False
        self.balance -= 1
        return True


# ---------------------------------------------------------------- Tencent Cloud


class FakeTencentSms(_LoopbackServer):
    """``sms`` 2021-01-11 ``SendSms`` with TC3-HMAC-SHA256, as Tencent Cloud checks it."""

    MAX_NUMBERS = 200
    MAX_SKEW = 300  # seconds: "Timestamp 和服务器时间相差不得超过五分钟"

    def __init__(self, *, secret_id: str = "AKIDloopbacktest", secret_key: str = "loopback-key",
                 sdk_app_id: str = "1400000000", clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock)
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.templates: set[str] | None = None  # known template ids; None = any

    def __enter__(self) -> FakeTencentSms:
        self.start()
        return self

    def _error(self, rec: Received, code: str, message: str) -> tuple[int, dict[str, Any]]:
        rec.error = code
        return 200, {"Response": {"Error": {"Code": code, "Message": message},
                                  "RequestId": str(uuid.uuid4())}}

    def handle(self, method: str, path: str, headers: dict[str, str],
               body: bytes) -> tuple[int, dict[str, Any]]:
        rec = Received(headers, body, [])
        self.requests.append(rec)
        problem = self._check_signature(method, path, headers, body)
        if problem is not None:
            return self._error(rec, *problem)
        if headers.get("x-tc-action") != "SendSms":
            return self._error(rec, "InvalidAction", "unknown action")
        if headers.get("x-tc-version") != "2021-01-11":
            return self._error(rec, "NoSuchVersion", "unknown version")
        if not headers.get("x-tc-region"):
            return self._error(rec, "MissingParameter", "X-TC-Region is required")
        try:
            payload = json.loads(body)
        except ValueError:
            return self._error(rec, "FailedOperation.JsonParseFail", "body is not JSON")
        numbers = payload.get("PhoneNumberSet") or []
        rec.numbers = list(numbers)
        if self.next_error is not None:
            code, self.next_error = self.next_error, None
            return self._error(rec, code, "simulated")
        if payload.get("SmsSdkAppId") != self.sdk_app_id:
            return self._error(rec, "InvalidParameterValue.SdkAppIdNotExist", "SdkAppId")
        if self.templates is not None and payload.get("TemplateId") not in self.templates:
            return self._error(rec, "FailedOperation.TemplateIncorrectOrUnapproved",
                               "template not approved")
        if not numbers:
            return self._error(rec, "MissingParameter.EmptyPhoneNumberSet", "no numbers")
        if len(numbers) > self.MAX_NUMBERS:
            return self._error(rec, "LimitExceeded.PhoneNumberCountLimit",
                               f"{len(numbers)} numbers, at most {self.MAX_NUMBERS}")
        statuses = [self._status(str(n)) for n in numbers]
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": str(uuid.uuid4())}}

    def _status(self, number: str) -> dict[str, Any]:
        local = number[3:] if number.startswith("+86") else number
        code, message, fee = "Ok", "send success", 1
        if not _MOBILE.fullmatch(local):
            code, message, fee = "InvalidParameterValue.IncorrectPhoneNumber", "bad number", 0
        elif local in self.fail_numbers:
            code, message, fee = self.fail_numbers[local], "simulated failure", 0
        elif not self._charge():
            code = "FailedOperation.InsufficientBalanceInSmsPackage"
            message, fee = "insufficient balance in SMS package", 0
        return {"SerialNo": f"2433:{uuid.uuid4().int % 10**20}" if code == "Ok" else "",
                "PhoneNumber": number, "Fee": fee, "SessionContext": "", "Code": code,
                "Message": message, "IsoCode": "CN"}

    def _check_signature(self, method: str, path: str, headers: dict[str, str],
                         body: bytes) -> tuple[str, str] | None:
        auth = headers.get("authorization", "")
        m = re.fullmatch(r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([^/]+)"
                         r"/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})",
                         auth)
        if m is None:
            return "AuthFailure.InvalidAuthorization", "Authorization header malformed"
        secret_id, date, service, signed, signature = m.groups()
        if secret_id != self.secret_id:
            return "AuthFailure.SecretIdNotFound", "secret id not found"
        try:
            stamp = int(headers.get("x-tc-timestamp", ""))
        except ValueError:
            return "AuthFailure.InvalidAuthorization", "X-TC-Timestamp missing"
        if abs(self.clock() - stamp) > self.MAX_SKEW:
            return "AuthFailure.SignatureExpire", "signature expired: clock skew over 5 minutes"
        names = signed.split(";")
        if "content-type" not in names or "host" not in names or names != sorted(names):
            return "AuthFailure.SignatureFailure", "SignedHeaders must list content-type;host"
        if service != "sms" or date != datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d"):
            return "AuthFailure.SignatureFailure", "credential scope does not match"
        lines = "".join(f"{n}:{headers.get(n, '').strip().lower()}\n" for n in names)
        canonical = "\n".join([method, path.split("?", maxsplit=1)[0], "", lines, signed,
                               hashlib.sha256(body).hexdigest()])
        to_sign = "\n".join(["TC3-HMAC-SHA256", str(stamp), f"{date}/sms/tc3_request",
                             hashlib.sha256(canonical.encode()).hexdigest()])
        key = ("TC3" + self.secret_key).encode()
        for part in (date, "sms", "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return ("AuthFailure.SignatureFailure",
                    "The provided credentials could not be validated.")
        return None


# ---------------------------------------------------------------- Alibaba Cloud


class FakeAliyunSms(_LoopbackServer):
    """dysmsapi 2017-05-25 ``SendSms`` / ``SendBatchSms`` with the RPC HMAC-SHA1 signature."""

    LIMITS: ClassVar[dict[str, int]] = {"SendSms": 1000, "SendBatchSms": 100}
    MAX_SKEW = 900  # seconds

    def __init__(self, *, access_key_id: str = "LTAIloopbacktest",
                 access_key_secret: str = "loopback-secret",
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock)
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self._nonces: set[str] = set()

    def __enter__(self) -> FakeAliyunSms:
        self.start()
        return self

    def _answer(self, rec: Received, status: int, code: str,
                message: str) -> tuple[int, dict[str, Any]]:
        rec.error = None if code == "OK" else code
        answer: dict[str, Any] = {"RequestId": str(uuid.uuid4()), "Code": code,
                                  "Message": message}
        if code == "OK":
            answer["BizId"] = f"{uuid.uuid4().int % 10**18}^0"
        return status, answer

    def handle(self, method: str, path: str, headers: dict[str, str],
               body: bytes) -> tuple[int, dict[str, Any]]:
        rec = Received(headers, body, [])
        self.requests.append(rec)
        params = dict(parse_qsl(body.decode("ascii", "replace"), keep_blank_values=True))
        problem = self._check_signature(method, params)
        if problem is not None:
            return self._answer(rec, *problem)
        action = params.get("Action", "")
        if action not in self.LIMITS or params.get("Version") != "2017-05-25":
            return self._answer(rec, 400, "InvalidAction.NotFound", "action or version")
        if action == "SendSms":
            numbers = [n for n in params.get("PhoneNumbers", "").split(",") if n]
        else:
            numbers = json.loads(params.get("PhoneNumberJson", "[]"))
            signs = json.loads(params.get("SignNameJson", "[]"))
            if len(signs) != len(numbers):
                return self._answer(rec, 200, "isv.INVALID_JSON_PARAM", "SignNameJson length")
        rec.numbers = [str(n) for n in numbers]
        if self.next_error is not None:
            code, self.next_error = self.next_error, None
            return self._answer(rec, 200, code, "simulated")
        if not numbers:
            return self._answer(rec, 400, "MissingPhoneNumbers", "PhoneNumbers is mandatory")
        if len(numbers) > self.LIMITS[action]:
            return self._answer(rec, 200, "isv.MOBILE_COUNT_OVER_LIMIT",
                                f"{len(numbers)} numbers, at most {self.LIMITS[action]}")
        if any(not _MOBILE.fullmatch(str(n)) for n in numbers):
            return self._answer(rec, 200, "isv.MOBILE_NUMBER_ILLEGAL", "illegal number")
        failing = [self.fail_numbers[str(n)] for n in numbers if str(n) in self.fail_numbers]
        if failing:
            return self._answer(rec, 200, failing[0], "simulated failure")
        if self.balance is not None and self.balance < len(numbers):
            return self._answer(rec, 200, "isv.AMOUNT_NOT_ENOUGH", "账户余额不足")
        if self.balance is not None:
            self.balance -= len(numbers)
        return self._answer(rec, 200, "OK", "OK")

    def _check_signature(self, method: str,
                         params: dict[str, str]) -> tuple[int, str, str] | None:
        for name in ("AccessKeyId", "Signature", "SignatureNonce", "Timestamp",
                     "SignatureMethod", "SignatureVersion"):
            if name not in params:
                return 400, "MissingParameter", f"{name} is mandatory for this action."
        if params["AccessKeyId"] != self.access_key_id:
            return 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            return 400, "InvalidParameter", "SignatureMethod / SignatureVersion"
        try:
            stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return 400, "InvalidTimeStamp.Format", "Specified time stamp is not valid."
        if abs(self.clock() - stamp.replace(tzinfo=UTC).timestamp()) > self.MAX_SKEW:
            return 400, "InvalidTimeStamp.Expired", \
                "Specified time stamp or date value is expired."

        def enc(value: str) -> str:
            return quote(value, safe="~", encoding="utf-8")

        query = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items())
                         if k != "Signature")
        to_sign = f"{method}&{enc('/')}&{enc(query)}"
        expected = base64.b64encode(hmac.new(
            (self.access_key_secret + "&").encode(), to_sign.encode(), hashlib.sha1,
        ).digest()).decode()
        if not hmac.compare_digest(expected, params["Signature"]):
            return 400, "SignatureDoesNotMatch", \
                "Specified signature is not matched with our calculation."
        if params["SignatureNonce"] in self._nonces:
            return 400, "SignatureNonceUsed", "Specified signature nonce was used already."
        self._nonces.add(params["SignatureNonce"])
        return None
