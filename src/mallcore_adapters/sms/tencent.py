"""Tencent Cloud SMS ``SendSms`` (API 2021-01-11), signed with TC3-HMAC-SHA256.

One request carries at most 200 numbers (``PhoneNumberSet``, E.164); the answer
has a ``SendStatusSet`` entry per number (``Code`` "Ok" or an error code).  A
top-level ``Response.Error`` fails the whole request and becomes a typed
error.  The endpoint is configurable so tests can point it at a loopback fake.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

import httpx

from mallcore.errors import InvalidInput
from mallcore.messaging.phones import Phone, mask_text
from mallcore.messaging.sender import DeliveryState, NumberStatus, SmsRequest
from mallcore_adapters.sms._http import json_object, post
from mallcore_adapters.sms.errors import SmsProviderUnavailable, tencent_error
from mallcore_adapters.sms.signing import tc3_authorization

__all__ = ["TENCENT_ENDPOINT", "TencentSmsSender"]

log = logging.getLogger("mallcore_adapters.sms.tencent")

TENCENT_ENDPOINT = "https://sms.tencentcloudapi.com"
SERVICE = "sms"
VERSION = "2021-01-11"
ACTION = "SendSms"
OK = "Ok"
NO_BALANCE = "FailedOperation.InsufficientBalanceInSmsPackage"
CONTENT_TYPE = "application/json; charset=utf-8"


class TencentSmsSender:
    """A ``MessageSender`` for Tencent Cloud SMS."""

    name = "tencent"
    max_batch = 200

    def __init__(
        self, *, secret_id: str, secret_key: str, sdk_app_id: str,
        region: str = "ap-guangzhou", endpoint: str = TENCENT_ENDPOINT,
        client: httpx.Client | None = None, clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
    ) -> None:
        self.secret_id = secret_id
        self._secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.region = region
        self.endpoint = endpoint.rstrip("/") + "/"
        self.host = urlsplit(self.endpoint).netloc
        self._client = client or httpx.Client(timeout=timeout)
        self._clock = clock

    def __repr__(self) -> str:  # never the secret key
        return f"TencentSmsSender(secret_id={self.secret_id!r}, endpoint={self.endpoint!r})"

    def close(self) -> None:
        self._client.close()

    def body(self, request: SmsRequest) -> bytes:
        payload = {
            "PhoneNumberSet": [p.e164 for p in request.phones],
            "SmsSdkAppId": self.sdk_app_id,
            "SignName": request.signature,
            "TemplateId": request.template_id,
            "TemplateParamSet": [value for _, value in request.params],
        }
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def signed_headers(self, body: bytes, timestamp: int) -> dict[str, str]:
        signed = [("Content-Type", CONTENT_TYPE), ("Host", self.host), ("X-TC-Action", ACTION)]
        authorization = tc3_authorization(
            secret_id=self.secret_id, secret_key=self._secret_key, service=SERVICE,
            timestamp=timestamp, method="POST", headers=signed, payload=body)
        return {
            "Authorization": authorization, "Content-Type": CONTENT_TYPE, "Host": self.host,
            "X-TC-Action": ACTION, "X-TC-Timestamp": str(timestamp), "X-TC-Version": VERSION,
            "X-TC-Region": self.region,
        }

    def send(self, request: SmsRequest) -> Sequence[NumberStatus]:
        if not 1 <= len(request.phones) <= self.max_batch:
            raise InvalidInput("Tencent SendSms numbers",
                               f"{len(request.phones)} given, 1..{self.max_batch} allowed")
        body = self.body(request)
        headers = self.signed_headers(body, int(self._clock()))
        response = post(self._client, self.name, self.endpoint, body, headers)
        data = json_object(response, self.name)
        inner = data.get("Response")
        if response.status_code != 200 or not isinstance(inner, dict):
            raise SmsProviderUnavailable(self.name, f"HTTP{response.status_code}",
                                         "no Response object in the answer",
                                         outcome_unknown=True)
        request_id = inner.get("RequestId") if isinstance(inner.get("RequestId"), str) else None
        error = inner.get("Error")
        if isinstance(error, dict):
            code, message = str(error.get("Code", "")), mask_text(str(error.get("Message", "")))
            log.warning("Tencent SendSms refused (%d numbers): %s %s, request %s",
                        len(request.phones), code, message, request_id)
            raise tencent_error(code, message, request_id)
        return self._statuses(request.phones, inner.get("SendStatusSet"), request_id)

    def _statuses(self, phones: Sequence[Phone], entries: object,
                  request_id: str | None) -> list[NumberStatus]:
        by_e164 = {p.e164: p for p in phones}
        out: list[NumberStatus] = []
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            phone = by_e164.get(str(entry.get("PhoneNumber", "")))
            if phone is None:
                continue
            code = str(entry.get("Code", ""))
            message = mask_text(str(entry.get("Message", "")))
            serial = entry.get("SerialNo") or None
            if code == OK:
                state = DeliveryState.SENT
            elif code == NO_BALANCE:
                state = DeliveryState.NO_BALANCE
            else:
                state = DeliveryState.FAILED
                log.info("Tencent SendSms to %s failed: %s %s (request %s)", phone, code,
                         message, request_id)
            out.append(NumberStatus(phone, state, code, message,
                                    str(serial) if serial else None))
        missing = len(phones) - len(out)
        if missing:
            log.warning("Tencent SendSms answered %d of %d numbers (request %s)", len(out),
                        len(phones), request_id)
        return out
