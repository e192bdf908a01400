"""REST adapter on httpx: method, URL template, headers, JSON body, auth, result codes.

Auth: bearer token, HTTP basic, or a checksum field (SHA-256 over pipe-joined fields plus a
shared secret, the national payment platform's scheme, see
:mod:`connectors.peers.payment_checksum`). HTTP 408/429/5xx are transient, other 4xx
permanent; a 2xx body that is not JSON is a malformed response.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from connectors.config import ChecksumAuth, EnvRef, RestTarget, secret
from connectors.errors import (
    MalformedResponseError,
    MappingError,
    PeerRejectedError,
    PeerTimeoutError,
    PeerUnavailableError,
    TransientDeliveryError,
)
from connectors.mapping import resolve
from connectors.peers import payment_checksum

__all__ = ["RestClient", "expand_url"]

IDEMPOTENCY_HEADER = "Idempotency-Key"
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def expand_url(template: str, source: Mapping[str, Any]) -> str:
    """``http://x/orders/{data.dossier_code}`` with each path's value, URL-quoted."""

    def value(match: re.Match[str]) -> str:
        found = resolve(source, match.group(1))
        if found is None or not isinstance(found, (str, int, float)):
            raise MappingError("url", template, f"{match.group(1)} has no usable value")
        return quote(str(found), safe="")

    return _PLACEHOLDER.sub(value, template)


def _checksum_fields(auth: ChecksumAuth, message: Mapping[str, Any], response: bool) -> list[str]:
    if auth.fields is not None:
        return list(auth.fields)
    msg_type = str(message.get("msgType", ""))
    if response:
        return list(payment_checksum.response_fields(msg_type))
    return list(payment_checksum.request_fields(msg_type))


class RestClient:
    """Sends one configured request shape; secrets are read from the environment once."""

    def __init__(self, target: RestTarget) -> None:
        self.target = target
        self._headers: dict[str, str] = {}
        for name, raw in target.headers.items():
            value = secret(raw.env, f"headers.{name}") if isinstance(raw, EnvRef) else raw
            self._headers[name] = value or ""
        auth: httpx.Auth | None = None
        self._secret: str | None = None
        match target.auth:
            case None:
                pass
            case auth_config if auth_config.kind == "bearer":
                token = secret(auth_config.token_env, "auth.token_env")
                self._headers["Authorization"] = f"Bearer {token}"
            case auth_config if auth_config.kind == "basic":
                password = secret(auth_config.password_env, "auth.password_env") or ""
                auth = httpx.BasicAuth(auth_config.username, password)
            case auth_config if auth_config.kind == "checksum":
                self._secret = secret(auth_config.secret_env, "auth.secret_env")
        self._client = httpx.Client(timeout=target.timeout_s, auth=auth)

    def _sign(self, body: dict[str, Any]) -> dict[str, Any]:
        auth = self.target.auth
        if not isinstance(auth, ChecksumAuth) or self._secret is None:
            return body
        fields = _checksum_fields(auth, body, response=False)
        return {**body, auth.field: payment_checksum.compute(body, fields, self._secret)}

    def _check_checksum(self, answer: dict[str, Any]) -> None:
        auth = self.target.auth
        if not isinstance(auth, ChecksumAuth) or not auth.verify_response or self._secret is None:
            return
        fields = _checksum_fields(auth, answer, response=True)
        given = {**answer, "checksum": answer.get(auth.field)}
        if not payment_checksum.verify(given, fields, self._secret):
            raise MalformedResponseError(
                "the answer's checksum does not match", reason="bad-checksum"
            )

    def call(
        self, body: dict[str, Any] | None, source: Mapping[str, Any], idempotency_key: str
    ) -> dict[str, Any]:
        """Send the request; the JSON answer (``{}`` when empty) or one of our errors."""
        url = expand_url(self.target.url, source)
        headers = {**self._headers, IDEMPOTENCY_HEADER: idempotency_key}
        send_body = None if self.target.method in ("GET", "DELETE") else self._sign(body or {})
        try:
            response = self._client.request(
                self.target.method, url, json=send_body, headers=headers
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise PeerUnavailableError(f"cannot connect to {url}: {exc}") from exc
        except httpx.TimeoutException as exc:
            raise PeerTimeoutError(f"no answer from {url} within {self.target.timeout_s}s") from exc
        except httpx.HTTPError as exc:
            raise TransientDeliveryError(f"HTTP error with {url}: {exc!r}") from exc
        return self._answer(response)

    def _answer(self, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        snippet = response.text[:300]
        if status >= 500 or status in (408, 429):
            raise TransientDeliveryError(f"HTTP {status}: {snippet}", reason=f"http-{status}")
        if status >= 300:
            raise PeerRejectedError(f"HTTP {status}: {snippet}", reason=f"http-{status}")
        if not response.content.strip():
            return {}
        try:
            data = json.loads(response.content)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedResponseError(f"the answer is not JSON: {exc}: {snippet!r}") from exc
        answer = data if isinstance(data, dict) else {"result": data}
        self._check_checksum(answer)
        rule = self.target.success
        if rule is not None:
            code = str(resolve(answer, rule.field))
            if code in rule.transient_values:
                raise TransientDeliveryError(
                    f"{rule.field}={code}: {snippet}", reason=f"result-{code}"
                )
            if code not in rule.values:
                raise PeerRejectedError(f"{rule.field}={code}: {snippet}", reason=f"result-{code}")
        return answer

    def close(self) -> None:
        self._client.close()
