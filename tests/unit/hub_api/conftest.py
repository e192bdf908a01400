"""The API with in-process stand-ins for Kafka: a fed dossier view, a recording sender,
an in-memory schema resolver and the packaged catalog with a test agency key.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from hub_api.app import create_app
from hub_api.auth import AuthContext, Credential, CredentialStore, LookupTokens, Role, hash_secret
from hub_api.dossier_view import DossierView
from hub_api.ratelimit import TokenBuckets
from hub_api.rejected import RejectedRecord
from hub_api.services import Services
from hub_settings import load_settings
from registry import AgencyKey, Catalog, load_catalog
from registry.diff import Change, diff_catalogs
from registry.lifecycle import DossierState
from registry.store import RegistryKeys
from schemas import CloudEvent, EventCodec, InMemoryResolver, KafkaMessage
from schemas import load_catalog as events
from schemas.examples import example_data
from schemas.rejects import Rejection, reject
from schemas.topics import TopicNames
from security import FileSigner, encode_public_key, generate_key_pair, sign_event

AGENCY = "000.00.06.H56"  # Sở Tư pháp
OTHER = "000.00.14.H56"
KEYS = {
    "agency": f"justice-key.{'a' * 20}",
    "other": f"other-key.{'b' * 20}",
    "operator": f"ops-key.{'c' * 20}",
    "admin": f"admin-key.{'d' * 20}",
}
LOOKUP_SECRET = b"test-lookup-secret"


def _credentials() -> CredentialStore:
    def cred(token: str, role: Role, agency: str | None = None) -> Credential:
        key_id, _, secret = token.rpartition(".")
        return Credential(id=key_id, role=role, agency=agency, hash=hash_secret(secret))

    return CredentialStore(
        [
            cred(KEYS["agency"], Role.AGENCY, AGENCY),
            cred(KEYS["other"], Role.AGENCY, OTHER),
            cred(KEYS["operator"], Role.OPERATOR),
            cred(KEYS["admin"], Role.ADMIN),
        ]
    )


_CREDENTIALS = _credentials()  # scrypt is slow: hash once per session


def headers(who: str) -> dict[str, str]:
    return {"X-API-Key": KEYS[who]}


def with_key(catalog: Catalog, agency_id: str, signer_info: Any) -> Catalog:
    agency = catalog.agencies[agency_id]
    key = AgencyKey(
        key_id=signer_info.key_id,
        public_key=encode_public_key(signer_info.public_key),
        valid_from=datetime(2020, 1, 1, tzinfo=UTC),
    )
    updated = agency.model_copy(update={"keys": [*agency.keys, key]})
    agencies = {**catalog.agencies, agency_id: updated}
    return Catalog(agencies, catalog.procedures, catalog.subscriptions, catalog.calendar_overrides)


class FakeRegistry:
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self.loaded = True
        self.applied: list[Catalog] = []

    def catalog(self) -> Catalog:
        return self._catalog

    def keys(self) -> RegistryKeys:
        return RegistryKeys(self._catalog)

    def apply(self, new: Catalog) -> list[Change]:
        changes = diff_catalogs(self._catalog, new)
        self._catalog = new
        self.applied.append(new)
        return changes


@dataclass
class FakeLog:
    """A quarantine/dead-letter topic in memory (partition 0 only)."""

    topic: str
    records: list[RejectedRecord] = field(default_factory=list)

    def add(self, message: KafkaMessage, rejection: Rejection) -> None:
        from schemas.rejects import split_rejected

        original, why = split_rejected(reject(message, rejection))
        self.records.append(RejectedRecord(self.topic, 0, len(self.records), 0, original, why))

    def browse(
        self, after: dict[int, int] | None, limit: int, reason: str | None
    ) -> tuple[list[RejectedRecord], dict[int, int], bool]:
        start = (after or {}).get(0, 0)
        picked: list[RejectedRecord] = []
        position = start
        for record in self.records[start:]:
            if len(picked) >= limit:
                break
            position = record.offset + 1
            if reason is None or record.rejection.reason == reason:
                picked.append(record)
        return picked, {0: position}, position < len(self.records)

    def get(self, partition: int, offset: int) -> RejectedRecord | None:
        if partition != 0 or not 0 <= offset < len(self.records):
            return None
        return self.records[offset]


@dataclass
class Sent:
    messages: list[tuple[str, KafkaMessage]] = field(default_factory=list)

    def __call__(self, topic: str, batch: Sequence[KafkaMessage]) -> None:
        self.messages.extend((topic, m) for m in batch)

    def to(self, topic: str) -> list[KafkaMessage]:
        return [m for t, m in self.messages if t == topic]


class Client:
    """A synchronous client of an ASGI app (one short event loop per request)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as c:
                return await c.request(method, url, **kwargs)

        return asyncio.run(call())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)


@dataclass
class Hub:
    """Everything a unit test pokes at."""

    client: Client
    services: Services
    sent: Sent
    registry: FakeRegistry
    codec: EventCodec
    signer: FileSigner
    auth: AuthContext

    @property
    def topics(self) -> TopicNames:
        return self.services.topics

    def put_state(self, state: DossierState) -> None:
        self.services.dossiers.apply(state.code.encode(), state.model_dump_json().encode())


@pytest.fixture(scope="session")
def resolver() -> InMemoryResolver:
    resolver = InMemoryResolver()
    catalog = events()
    for name in catalog.record_names():
        resolver.register(name, catalog.schema_text(name))
    return resolver


@pytest.fixture
def hub(resolver: InMemoryResolver) -> Hub:
    private, info = generate_key_pair(AGENCY)
    signer = FileSigner(private, AGENCY, info.key_id)
    registry = FakeRegistry(with_key(load_catalog(), AGENCY, info))
    codec = EventCodec(resolver)
    sent = Sent()
    settings = load_settings(environment="test")
    topics = TopicNames("unit.hub")
    services = Services(
        settings=settings,
        topics=topics,
        codec=codec,
        registry=registry,
        dossiers=DossierView(None, topics.dossier_state).start(),
        send=sent,
        quarantine=FakeLog(topics.quarantine),
        deadletter=FakeLog(topics.deadletter),
    )
    auth = AuthContext(_CREDENTIALS, TokenBuckets(1000, 1000), LookupTokens(LOOKUP_SECRET))
    app = create_app(settings, services=services, auth=auth)
    return Hub(Client(app), services, sent, registry, codec, signer, auth)


def _millis(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: _millis(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_millis(v) for v in value]
    return value


def event_data(record: str, dossier: str) -> dict[str, Any]:
    data = example_data(record)
    data["dossier_code"] = dossier
    return data


def envelope(
    hub: Hub,
    *,
    record: str = "DossierSubmitted",
    ce_type: str = "vn.gov.thanhhoa.dossier.submitted",
    dossier: str = f"{AGENCY}-260302-0001",
    json_data: bool = False,
    tamper: Callable[[KafkaMessage], KafkaMessage] | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A signed envelope for POST /v1/events (Avro base64, or JSON data)."""
    event = CloudEvent(
        ce_type,
        AGENCY,
        dossier,
        event_data(record, dossier),
        id=event_id or str(uuid.uuid4()),
        time="2026-03-02T01:30:00.000Z",
    )
    message = hub.codec.encode(event)
    signature = dict(
        (name.removeprefix("ce_"), value.decode())
        for name, value in sign_event(hub.signer, message.headers, message.value)
    )
    if tamper is not None:
        message = tamper(message)
    body: dict[str, Any] = {
        "specversion": "1.0",
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "subject": event.subject,
        "time": event.time,
        **signature,
    }
    if json_data:
        body["data"] = _millis(event_data(record, dossier))
    else:
        body["data_base64"] = base64.b64encode(message.value).decode()
    return body


def dossier_state(
    code: str = f"{AGENCY}-260302-0001",
    *,
    agency: str = AGENCY,
    procedure: str = "2.000488",
    submitted: datetime = datetime(2026, 3, 2, 1, 30, tzinfo=UTC),
    statuses: Sequence[int] = (2,),
    steps: tuple[str, ...] = (),
    submitter: str | None = None,
) -> DossierState:
    """A dossier built with the real state machine: submitted, then ``statuses``."""
    from datetime import timedelta

    from registry import Deadline, DossierEvent, EventType, apply

    calendar = load_catalog().calendar()
    state = apply(
        None,
        DossierEvent(
            event_id=f"{code}-0",
            type=EventType.SUBMITTED,
            dossier_code=code,
            time=submitted,
            actor=submitter or agency,
            procedure=procedure,
            responsible_agency=agency,
            deadline=Deadline(amount=10),
            steps=steps,
        ),
        calendar=calendar,
    )
    for index, status in enumerate(statuses, start=1):
        state = apply(
            state,
            DossierEvent(
                event_id=f"{code}-{index}",
                type=EventType.STATUS,
                dossier_code=code,
                time=submitted + timedelta(hours=index),
                actor=agency,
                status=status,
            ),
            calendar=calendar,
        )
    return state
