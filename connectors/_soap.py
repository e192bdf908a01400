"""SOAP adapter on zeep: WSDL-driven calls (document/literal and rpc, SOAP 1.1 and 1.2).

zeep picks the SOAP version and style from the WSDL binding. Every zeep and requests
error becomes one of ours: faults marked transient (a ``Transient`` detail element, or a
Server/Receiver fault without one) are retried, Client/Sender faults are permanent.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import requests
import zeep
import zeep.exceptions
import zeep.helpers
from lxml import etree  # type: ignore[import-untyped]
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from connectors.config import SoapTarget
from connectors.errors import (
    MalformedResponseError,
    PeerRejectedError,
    PeerTimeoutError,
    PeerUnavailableError,
    PermanentDeliveryError,
    TransientDeliveryError,
)

__all__ = ["SoapClient", "fault_is_transient"]

# zeep's own annotations are partial; its entry points are used through these names.
_Client: Any = zeep.Client
_Transport: Any = Transport
_UsernameToken: Any = UsernameToken
_serialize: Any = zeep.helpers.serialize_object

IDEMPOTENCY_HEADER = "Idempotency-Key"


def fault_is_transient(fault: zeep.exceptions.Fault) -> bool:
    """A ``Transient`` detail element decides; otherwise Server/Receiver faults are transient."""
    detail = fault.detail
    if detail is not None:
        for node in detail.iter():
            if isinstance(node.tag, str) and etree.QName(node).localname == "Transient":
                return (node.text or "").strip().lower() == "true"
    code = str(fault.code or "")
    return bool(code.endswith(("Server", "Receiver")))


def _fault_code(fault: zeep.exceptions.Fault) -> str:
    if fault.detail is not None:
        for node in fault.detail.iter():
            if isinstance(node.tag, str) and etree.QName(node).localname == "Code" and node.text:
                return str(node.text).strip()
    return str(fault.code or "fault")


class SoapClient:
    """Calls one configured operation; the WSDL is loaded on first use (and retried)."""

    def __init__(self, target: SoapTarget, password: str | None = None) -> None:
        self.target = target
        self._password = password
        self._lock = threading.Lock()
        self._client: Any = None
        self._proxy: Any = None

    def _load(self) -> Any:
        with self._lock:
            if self._proxy is not None:
                return self._proxy
            t = self.target
            transport = _Transport(timeout=t.timeout_s, operation_timeout=t.timeout_s)
            wsse = None
            if t.username is not None:
                wsse = _UsernameToken(
                    t.username, self._password or "", use_digest=t.password_digest
                )
            try:
                client = _Client(t.wsdl, transport=transport, wsse=wsse)
                proxy = client.bind(t.service, t.port) if t.service else client.service
                if t.address:
                    proxy = client.create_service(proxy._binding.name, t.address)
            except requests.exceptions.RequestException as exc:
                raise PeerUnavailableError(f"cannot load WSDL {t.wsdl}: {exc}") from exc
            except (zeep.exceptions.Error, etree.XMLSyntaxError, ValueError) as exc:
                raise PermanentDeliveryError(
                    f"WSDL {t.wsdl} is not usable: {exc}", reason="wsdl-invalid"
                ) from exc
            self._client, self._proxy = client, proxy
            return proxy

    def operations(self) -> list[str]:
        """Operation names of the bound port (loads the WSDL)."""
        return sorted(self._load()._binding._operations)

    def input_fields(self, operation: str) -> list[str] | None:
        """Element names of an operation's input; None when zeep cannot tell."""
        try:
            body = self._load()._binding._operations[operation].input.body
            return [name for name, _ in body.type.elements]
        except (AttributeError, KeyError, TypeError):
            return None

    def call(self, fields: Mapping[str, Any], idempotency_key: str) -> dict[str, Any]:
        """Call the operation; the answer as plain dicts and lists."""
        proxy = self._load()
        assert self._client is not None
        operation = self.target.operation
        try:
            method = getattr(proxy, operation)
        except AttributeError as exc:
            raise PermanentDeliveryError(
                f"no operation {operation!r} in {self.target.wsdl}", reason="wsdl-invalid"
            ) from exc
        try:
            with self._client.settings(extra_http_headers={IDEMPOTENCY_HEADER: idempotency_key}):
                result = method(**fields)
        except zeep.exceptions.Fault as fault:
            text = f"SOAP fault {_fault_code(fault)}: {fault.message}"
            if fault_is_transient(fault):
                raise TransientDeliveryError(text, reason="soap-fault-transient") from fault
            raise PeerRejectedError(text, reason="soap-fault") from fault
        except zeep.exceptions.TransportError as exc:
            text = f"HTTP {exc.status_code} from {operation}: {exc.message}"
            if 200 <= exc.status_code < 300:
                raise MalformedResponseError(f"unreadable SOAP answer: {exc.message}") from exc
            if exc.status_code >= 500 or exc.status_code in (408, 429):
                raise TransientDeliveryError(text, reason=f"http-{exc.status_code}") from exc
            raise PeerRejectedError(text, reason=f"http-{exc.status_code}") from exc
        except (zeep.exceptions.ValidationError, TypeError) as exc:
            raise PermanentDeliveryError(
                f"request does not fit the WSDL: {exc}", reason="request-invalid"
            ) from exc
        except requests.exceptions.ConnectTimeout as exc:
            raise PeerUnavailableError(f"connect timeout: {exc}") from exc
        except requests.exceptions.ConnectionError as exc:
            raise PeerUnavailableError(f"connection failed: {exc}") from exc
        except requests.exceptions.Timeout as exc:
            raise PeerTimeoutError(f"no answer within {self.target.timeout_s}s") from exc
        except requests.exceptions.RequestException as exc:
            raise TransientDeliveryError(f"HTTP error: {exc}") from exc
        except (zeep.exceptions.Error, etree.XMLSyntaxError) as exc:
            raise MalformedResponseError(f"unreadable SOAP answer: {exc}") from exc
        return _plain(_serialize(result, target_cls=dict))

    def close(self) -> None:
        if self._client is not None:
            self._client.transport.session.close()


def _plain(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return {"result": value}
