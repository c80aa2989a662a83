"""The HTTP call both senders share: one POST, transport failures typed."""

from __future__ import annotations

import httpx

from mallcore_adapters.sms.errors import SmsProviderUnavailable


def post(client: httpx.Client, provider: str, url: str, content: bytes,
         headers: dict[str, str]) -> httpx.Response:
    """POST or raise ``SmsProviderUnavailable`` (a timeout may have been delivered)."""
    try:
        return client.post(url, content=content, headers=headers)
    except httpx.ConnectError as exc:
        raise SmsProviderUnavailable(provider, "ConnectError", str(exc)) from exc
    except httpx.TimeoutException as exc:
        raise SmsProviderUnavailable(provider, "Timeout", str(exc) or "timed out",
                                     outcome_unknown=True) from exc
    except httpx.HTTPError as exc:
        raise SmsProviderUnavailable(provider, type(exc).__name__, str(exc),
                                     outcome_unknown=True) from exc


def json_object(response: httpx.Response, provider: str) -> dict[str, object]:
    try:
        data = response.json()
    except ValueError as exc:
        raise SmsProviderUnavailable(
            provider, f"HTTP{response.status_code}", "the answer is not JSON",
            outcome_unknown=True) from exc
    if not isinstance(data, dict):
        raise SmsProviderUnavailable(provider, f"HTTP{response.status_code}",
                                     "the answer is not a JSON object", outcome_unknown=True)
    return data
