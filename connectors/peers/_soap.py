"""SOAP plumbing for the SOAP peers: envelopes, faults, WS-Security, WSDL serving.

Faults carry a detail element ``{urn:thanhhoa:peers:fault}FaultInfo`` with ``Code`` and
``Transient`` ("true" for faults worth retrying), in SOAP 1.1 and SOAP 1.2 alike.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from importlib import resources
from typing import Any, ClassVar

from lxml import etree  # type: ignore[import-untyped]
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from connectors.peers._base import Peer, Reply
from connectors.peers._log import Outcome

FAULT_NS = "urn:thanhhoa:peers:fault"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
WSDL_ADDRESS_PLACEHOLDER = "http://peer.invalid"


class SoapVersion(Enum):
    """Envelope namespace, content type and fault vocabulary of one SOAP version."""

    SOAP11 = ("http://schemas.xmlsoap.org/soap/envelope/", "text/xml", "Client", "Server")
    SOAP12 = (
        "http://www.w3.org/2003/05/soap-envelope",
        "application/soap+xml",
        "Sender",
        "Receiver",
    )

    @property
    def ns(self) -> str:
        return self.value[0]

    @property
    def content_type(self) -> str:
        return f"{self.value[1]}; charset=utf-8"


class SoapFaultError(Exception):
    """Raised by an operation handler; rendered as a SOAP fault."""

    def __init__(self, code: str, message: str, *, client: bool = True, transient: bool = False):
        super().__init__(message)
        self.code, self.message, self.client, self.transient = code, message, client, transient


@dataclass(frozen=True)
class Operation:
    """One SOAP operation: handler(fields) -> (outcome, response element)."""

    handler: Callable[[dict[str, Any]], tuple[Outcome, etree._Element]]
    key_field: str | None = None
    dossier_field: str | None = None


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def element_to_data(element: etree._Element) -> Any:
    """Child elements to a dict (repeated names become lists); a leaf to its text."""
    children = [c for c in element if isinstance(c.tag, str)]
    if not children:
        return element.text or ""
    data: dict[str, Any] = {}
    for child in children:
        name, value = _local(child.tag), element_to_data(child)
        if name in data:
            prev = data[name]
            data[name] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            data[name] = value
    return data


def build(
    ns: str, name: str, fields: Mapping[str, Any], *, qualified: bool = True
) -> etree._Element:
    """An element ``name`` with one child per field (lists repeat the child)."""
    root = etree.Element(etree.QName(ns, name), nsmap={"tns": ns})
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            child = etree.SubElement(root, etree.QName(ns, key) if qualified else key)
            if isinstance(item, etree._Element):
                child.extend(list(item))
            else:
                child.text = str(item).lower() if isinstance(item, bool) else str(item)
    return root


def envelope(version: SoapVersion, payload: etree._Element) -> bytes:
    env = etree.Element(etree.QName(version.ns, "Envelope"), nsmap={"soap": version.ns})
    etree.SubElement(env, etree.QName(version.ns, "Body")).append(payload)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="utf-8"))


def fault_response(version: SoapVersion, fault: SoapFaultError) -> Response:
    """A SOAP fault: HTTP 500 (SOAP 1.1, and 1.2 Receiver) or 400 (SOAP 1.2 Sender)."""
    ns = version.ns
    side = version.value[2] if fault.client else version.value[3]
    info = etree.Element(etree.QName(FAULT_NS, "FaultInfo"), nsmap={"f": FAULT_NS})
    etree.SubElement(info, etree.QName(FAULT_NS, "Code")).text = fault.code
    etree.SubElement(info, etree.QName(FAULT_NS, "Transient")).text = str(fault.transient).lower()
    node = etree.Element(etree.QName(ns, "Fault"))
    status = 500
    if version is SoapVersion.SOAP11:
        etree.SubElement(node, "faultcode").text = f"soap:{side}"
        etree.SubElement(node, "faultstring").text = fault.message
        etree.SubElement(node, "detail").append(info)
    else:
        code = etree.SubElement(node, etree.QName(ns, "Code"))
        etree.SubElement(code, etree.QName(ns, "Value")).text = f"soap:{side}"
        sub = etree.SubElement(code, etree.QName(ns, "Subcode"))
        value = etree.SubElement(sub, etree.QName(ns, "Value"), nsmap={"f": FAULT_NS})
        value.text = f"f:{fault.code}"
        reason = etree.SubElement(node, etree.QName(ns, "Reason"))
        txt = etree.SubElement(reason, etree.QName(ns, "Text"))
        txt.set("{http://www.w3.org/XML/1998/namespace}lang", "vi")
        txt.text = fault.message
        etree.SubElement(node, etree.QName(ns, "Detail")).append(info)
        status = 400 if fault.client else 500
    return Response(envelope(version, node), status_code=status, media_type=version.content_type)


def check_username_token(header: etree._Element | None, username: str, password: str) -> bool:
    """WS-Security UsernameToken, PasswordText or PasswordDigest (Nonce + Created)."""
    token = (
        None if header is None else header.find(f"{{{WSSE_NS}}}Security/{{{WSSE_NS}}}UsernameToken")
    )
    if token is None:
        return False
    user = token.findtext(f"{{{WSSE_NS}}}Username") or ""
    pw_node = token.find(f"{{{WSSE_NS}}}Password")
    if pw_node is None or not hmac.compare_digest(user.encode(), username.encode()):
        return False
    given = (pw_node.text or "").encode()
    if pw_node.get("Type", "").endswith("#PasswordDigest"):
        nonce = base64.b64decode(token.findtext(f"{{{WSSE_NS}}}Nonce") or "")
        created = (token.findtext(f"{{{WSU_NS}}}Created") or "").encode()
        digest = hashlib.sha1(nonce + created + password.encode()).digest()  # noqa: S324
        return hmac.compare_digest(given, base64.b64encode(digest))
    return hmac.compare_digest(given, password.encode())


class SoapPeer(Peer):
    """A SOAP peer: ``GET path?wsdl`` serves the WSDL, ``POST path`` the operations."""

    version: ClassVar[SoapVersion]
    namespace: ClassVar[str]
    path: ClassVar[str]
    wsdl_name: ClassVar[str]

    def __init__(
        self, *, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.username, self.password = username, password
        with open(self.wsdl_path(), encoding="utf-8") as wsdl_file:
            self._wsdl_text = wsdl_file.read()

    @classmethod
    def wsdl_path(cls) -> str:
        """The packaged WSDL file (its address is a placeholder: override it in zeep)."""
        return str(resources.files("connectors.peers").joinpath("wsdl", cls.wsdl_name))

    @property
    def endpoint_url(self) -> str:
        return f"{self.url}{self.path}"

    @property
    def wsdl_url(self) -> str:
        return f"{self.endpoint_url}?wsdl"

    def describe(self) -> dict[str, str]:
        return {**super().describe(), "endpoint_url": self.endpoint_url, "wsdl_url": self.wsdl_url}

    def operations(self) -> Mapping[str, Operation]:
        raise NotImplementedError

    def routes(self) -> list[BaseRoute]:
        return [Route(self.path, self._endpoint, methods=["GET", "POST"])]

    def failure(self, operation: str, *, transient: bool) -> Response:
        if transient:
            fault = SoapFaultError(
                "unavailable", "Hệ thống tạm thời gián đoạn", client=False, transient=True
            )
        else:
            fault = SoapFaultError("invalidRequest", "Yêu cầu không hợp lệ", client=True)
        return fault_response(self.version, fault)

    def garbage(self, operation: str) -> Response:
        body = (
            f'<?xml version="1.0"?><soap:Envelope xmlns:soap="{self.version.ns}">'
            f"<soap:Body><{operation}Response><Stat"
        )
        return Response(body.encode(), status_code=200, media_type=self.version.content_type)

    async def _endpoint(self, request: Request) -> Response:
        if request.method == "GET":
            if "wsdl" not in {k.lower() for k in request.query_params}:
                return Response("append ?wsdl", status_code=404)
            wsdl = self._wsdl_text.replace(WSDL_ADDRESS_PLACEHOLDER, self.url)
            return Response(wsdl, media_type="text/xml; charset=utf-8")
        raw = await request.body()
        header_key = request.headers.get("Idempotency-Key")
        try:
            header, payload = self._parse(raw)
        except SoapFaultError as bad:
            raw_text = {"_raw": raw.decode(errors="replace")[:2000]}
            return await self._reject("unknown", header_key, raw_text, bad)
        name = _local(payload.tag)
        fields = element_to_data(payload)
        fields = fields if isinstance(fields, dict) else {}
        op = self.operations().get(name)
        if op is None:
            unknown = SoapFaultError("unknownOperation", f"Unknown operation {name}")
            return await self._reject(name, header_key, fields, unknown)
        key = (str(fields.get(op.key_field) or "") or None) if op.key_field else None
        dossier = str(fields.get(op.dossier_field) or "") or None if op.dossier_field else None

        def action() -> Reply:
            try:
                if self.username is not None and not check_username_token(
                    header, self.username, self.password or ""
                ):
                    raise SoapFaultError("authentication", "Xác thực không thành công")
                outcome, result = op.handler(fields)
            except SoapFaultError as fault:
                return Reply(Outcome.REJECTED, fault_response(self.version, fault), fault.code)
            body = envelope(self.version, result)
            return Reply(outcome, Response(body, media_type=self.version.content_type))

        return await self.serve(
            operation=name,
            idempotency_key=key or header_key,
            dossier_code=dossier,
            body=fields,
            action=action,
        )

    async def _reject(
        self, name: str, key: str | None, body: Any, fault: SoapFaultError
    ) -> Response:
        def action() -> Reply:
            return Reply(Outcome.REJECTED, fault_response(self.version, fault), fault.code)

        return await self.serve(
            operation=name, idempotency_key=key, dossier_code=None, body=body, action=action
        )

    def _parse(self, raw: bytes) -> tuple[etree._Element | None, etree._Element]:
        try:
            root = etree.fromstring(raw, _PARSER)
        except etree.XMLSyntaxError as exc:
            raise SoapFaultError("malformedXml", f"Malformed XML: {exc}") from exc
        if root.tag != f"{{{self.version.ns}}}Envelope":
            raise SoapFaultError("versionMismatch", f"expected a {self.version.name} envelope")
        body = root.find(f"{{{self.version.ns}}}Body")
        payload = None if body is None else next((c for c in body if isinstance(c.tag, str)), None)
        if payload is None:
            raise SoapFaultError("emptyBody", "The SOAP body is empty")
        return root.find(f"{{{self.version.ns}}}Header"), payload
