"""Alibaba Cloud SMS (dysmsapi 2017-05-25): ``SendSms`` or ``SendBatchSms``, RPC-signed.

The classic RPC signature (SignatureVersion 1.0, HMAC-SHA1): every parameter
but ``Signature`` percent-encoded (RFC 3986), sorted, joined, then
``POST&%2F&`` + that string encoded again, signed with ``secret + "&"``.
``SendSms`` sends one template with the same parameters to up to 1,000
comma-separated numbers; ``SendBatchSms`` takes JSON arrays of up to 100
numbers (and a signature and parameters per number).  Aliyun answers per
request, so every number of a request gets that request's code.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx

from mallcore.errors import InvalidInput
from mallcore.messaging.phones import mask_text
from mallcore.messaging.sender import DeliveryState, NumberStatus, SmsRequest
from mallcore_adapters.sms._http import json_object, post
from mallcore_adapters.sms.errors import SmsProviderUnavailable, aliyun_error
from mallcore_adapters.sms.signing import aliyun_percent_encode, aliyun_signature

__all__ = ["ALIYUN_ENDPOINT", "AliyunSmsSender"]

log = logging.getLogger("mallcore_adapters.sms.aliyun")

ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com"
VERSION = "2017-05-25"
LIMITS = {"SendSms": 1000, "SendBatchSms": 100}
#: Request-level codes: the request never reached the numbers (typed errors).
REQUEST_CODES_PREFIXES = ("InvalidAccessKeyId", "InvalidTimeStamp", "Signature", "Incomplete",
                          "Forbidden", "Throttling", "InvalidVersion", "InvalidAction",
                          "MissingParameter", "InternalError", "ServiceUnavailable",
                          "isp.", "isv.ACCOUNT", "isv.MOBILE_COUNT_OVER_LIMIT",
                          "isv.SMS_TEMPLATE_ILLEGAL", "isv.SMS_SIGNATURE_ILLEGAL",
                          "isv.SMS_SIGN_ILLEGAL", "isv.OUT_OF_SERVICE")
NO_BALANCE = "isv.AMOUNT_NOT_ENOUGH"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AliyunSmsSender:
    """A ``MessageSender`` for Alibaba Cloud SMS."""

    name = "aliyun"

    def __init__(
        self, *, access_key_id: str, access_key_secret: str, action: str = "SendSms",
        region: str = "cn-hangzhou", endpoint: str = ALIYUN_ENDPOINT,
        client: httpx.Client | None = None, clock: Callable[[], datetime] = _utc_now,
        nonce: Callable[[], str] = lambda: uuid.uuid4().hex, timeout: float = 10.0,
    ) -> None:
        if action not in LIMITS:
            raise InvalidInput("Aliyun SMS action", f"{action!r} is not one of {list(LIMITS)}")
        self.access_key_id = access_key_id
        self._secret = access_key_secret
        self.action = action
        self.max_batch = LIMITS[action]
        self.region = region
        self.endpoint = endpoint.rstrip("/") + "/"
        self._client = client or httpx.Client(timeout=timeout)
        self._clock = clock
        self._nonce = nonce

    def __repr__(self) -> str:  # never the secret
        return f"AliyunSmsSender(access_key_id={self.access_key_id!r}, action={self.action!r})"

    def close(self) -> None:
        self._client.close()

    def params(self, request: SmsRequest) -> dict[str, str]:
        """Every parameter of the request, ``Signature`` included."""
        numbers = [p.number for p in request.phones]
        template_param = json.dumps(dict(request.params), ensure_ascii=False,
                                    separators=(",", ":"))
        params = {
            "AccessKeyId": self.access_key_id, "Action": self.action, "Format": "JSON",
            "RegionId": self.region, "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": self._nonce(), "SignatureVersion": "1.0",
            "Timestamp": self._clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": VERSION, "TemplateCode": request.template_id,
        }
        if self.action == "SendSms":
            params |= {"PhoneNumbers": ",".join(numbers), "SignName": request.signature}
            if request.params:
                params["TemplateParam"] = template_param
        else:
            params |= {
                "PhoneNumberJson": json.dumps(numbers),
                "SignNameJson": json.dumps([request.signature] * len(numbers),
                                           ensure_ascii=False),
            }
            if request.params:
                params["TemplateParamJson"] = "[" + ",".join([template_param] * len(numbers)) + "]"
        params["Signature"] = aliyun_signature("POST", params, self._secret)
        return params

    def send(self, request: SmsRequest) -> Sequence[NumberStatus]:
        if not 1 <= len(request.phones) <= self.max_batch:
            raise InvalidInput(f"Aliyun {self.action} numbers",
                               f"{len(request.phones)} given, 1..{self.max_batch} allowed")
        body = urlencode(self.params(request), quote_via=lambda s, *_: aliyun_percent_encode(s))
        response = post(self._client, self.name, self.endpoint, body.encode("ascii"),
                        {"Content-Type": "application/x-www-form-urlencoded"})
        data = json_object(response, self.name)
        code = str(data.get("Code", ""))
        message = mask_text(str(data.get("Message", "")))
        request_id = str(data["RequestId"]) if "RequestId" in data else None
        if not code:
            raise SmsProviderUnavailable(self.name, f"HTTP{response.status_code}",
                                         "no Code in the answer", outcome_unknown=True)
        if code == "OK":
            biz_id = str(data.get("BizId") or "") or None
            return [NumberStatus(p, DeliveryState.SENT, code, message, biz_id)
                    for p in request.phones]
        log.warning("Aliyun %s refused (%d numbers): %s %s, request %s", self.action,
                    len(request.phones), code, message, request_id)
        if code.startswith(REQUEST_CODES_PREFIXES):
            raise aliyun_error(code, message, request_id)
        state = DeliveryState.NO_BALANCE if code == NO_BALANCE else DeliveryState.FAILED
        return [NumberStatus(p, state, code, message) for p in request.phones]
