"""A whole hub API on a real broker, isolated by a unique topic prefix, served by uvicorn.

``running_api`` creates the topics, registers the event schemas, seeds the registry with
the packaged catalog plus a fresh test key for the Department of Justice, writes a
credentials file, and serves ``create_app`` on 127.0.0.1 in a thread.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from pydantic import SecretStr

from hub_api.app import create_app
from hub_api.auth import Credential, Role, credentials_json, hash_secret
from hub_api.schemas_cli import register_all
from hub_settings import ApiSettings, HubSettings
from registry import AgencyKey, Catalog, load_catalog
from registry.lifecycle import DossierState
from registry.schema_store import SchemaStore
from registry.store import RegistryStore
from schemas import EventCodec, KafkaMessage
from schemas.topics import TopicNames
from security import FileSigner, encode_public_key, generate_key_pair

AGENCY = "000.00.06.H56"
KEYS = {
    "agency": f"justice-key.{'a' * 24}",
    "operator": f"ops-key.{'c' * 24}",
    "admin": f"admin-key.{'d' * 24}",
}
LOOKUP_SECRET = "integration-lookup-secret"


@dataclass
class RunningApi:
    url: str
    settings: HubSettings
    topics: TopicNames
    signer: FileSigner
    codec: EventCodec

    def headers(self, who: str) -> dict[str, str]:
        return {"X-API-Key": KEYS[who]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _with_key(catalog: Catalog, info: Any) -> Catalog:
    agency = catalog.agencies[AGENCY]
    key = AgencyKey(
        key_id=info.key_id,
        public_key=encode_public_key(info.public_key),
        valid_from=datetime(2020, 1, 1, tzinfo=UTC),
    )
    agencies = {**catalog.agencies, AGENCY: agency.model_copy(update={"keys": [*agency.keys, key]})}
    return Catalog(agencies, catalog.procedures, catalog.subscriptions, catalog.calendar_overrides)


def _credentials(path: Path) -> Path:
    entries = []
    for who, token in KEYS.items():
        key_id, _, secret = token.rpartition(".")
        role = Role.AGENCY if who == "agency" else Role(who)
        agency = AGENCY if who == "agency" else None
        entries.append(Credential(id=key_id, role=role, agency=agency, hash=hash_secret(secret)))
    path.write_text(credentials_json(entries))
    return path


def isolated_settings(base: HubSettings, directory: Path, **api: Any) -> HubSettings:
    tag = f"t{uuid.uuid4().hex[:8]}"
    api_settings = ApiSettings(
        host="127.0.0.1",
        port=free_port(),
        credentials_file=_credentials(directory / "credentials.json"),
        lookup_secret=SecretStr(LOOKUP_SECRET),
        **api,
    )
    return base.model_copy(
        update={
            "topic_prefix": f"{tag}.hub",
            "schemas_topic": f"{tag}._schemas",
            "api": api_settings,
        }
    )


def create_topics(settings: HubSettings) -> TopicNames:
    topics = TopicNames(settings.topic_prefix)
    admin = KafkaAdminClient(**settings.kafka_client_config())
    compact = {"cleanup.policy": "compact"}
    try:
        admin.create_topics(
            [
                NewTopic(topics.ingress, 1, 1),
                NewTopic(topics.quarantine, 1, 1),
                NewTopic(topics.deadletter, 1, 1),
                NewTopic(topics.dossier_state, 3, 1, topic_configs={"cleanup.policy": "compact"}),
                NewTopic(settings.schemas_topic, 1, 1, topic_configs=compact),
                NewTopic(topics.registry, 1, 1, topic_configs=compact),
            ]
        )
        # wait until the metadata shows every partition (ensure_topic checks right away)
        names = [topics.ingress, topics.dossier_state, settings.schemas_topic, topics.registry]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            described = admin.describe_topics(names)
            if all(d.get("partitions") for d in described):
                break
            time.sleep(0.1)
    finally:
        admin.close()
    return topics


@contextmanager
def running_api(base: HubSettings, directory: Path, **api: Any) -> Iterator[RunningApi]:
    """Everything set up, the API serving on a free port; stopped afterwards."""
    settings = isolated_settings(base, directory, **api)
    topics = create_topics(settings)
    private, info = generate_key_pair(AGENCY)
    signer = FileSigner(private, AGENCY, info.key_id)
    with SchemaStore(settings, topic=settings.schemas_topic) as store:
        register_all(settings, store=store)
        with RegistryStore(settings) as registry:
            registry.apply(_with_key(load_catalog(), info))
        codec = EventCodec(store)
        with serve(create_app(settings), settings.api.port):
            yield RunningApi(
                f"http://127.0.0.1:{settings.api.port}", settings, topics, signer, codec
            )


@contextmanager
def serve(app: Any, port: int) -> Iterator[None]:
    """Run ``app`` under uvicorn on 127.0.0.1:``port`` (lifespan on) until the block ends."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API did not start")
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def produce_state(settings: HubSettings, state: DossierState) -> None:
    """Write a dossier state as streams.track does (key code, value state JSON)."""
    producer = KafkaProducer(**settings.kafka_client_config(), acks="all")
    try:
        producer.send(
            TopicNames(settings.topic_prefix).dossier_state,
            key=state.code.encode(),
            value=state.model_dump_json().encode(),
        ).get(timeout=10)
    finally:
        producer.close()


def read_topic(
    settings: HubSettings, topic: str, expected: int, timeout_s: float = 10
) -> list[KafkaMessage]:
    """At least ``expected`` records of a one-partition topic (all there are after that)."""
    consumer = KafkaConsumer(
        **settings.kafka_client_config(), group_id=None, enable_auto_commit=False
    )
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    found: list[KafkaMessage] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                found += [KafkaMessage.from_record(r) for r in batch]
            if len(found) >= expected and consumer.position(tp) >= consumer.end_offsets([tp])[tp]:
                break
    finally:
        consumer.close()
    return found


def signed_envelope(
    api: RunningApi,
    dossier: str,
    *,
    record: str = "DossierSubmitted",
    ce_type: str = "vn.gov.thanhhoa.dossier.submitted",
    json_data: bool = False,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A POST /v1/events body signed by the test agency key (as the agency's system would)."""
    import base64

    from schemas import CloudEvent
    from schemas.examples import example_data
    from security import sign_event

    data = {**example_data(record), "dossier_code": dossier, **(extra or {})}
    event = CloudEvent(ce_type, AGENCY, dossier, data, id=str(uuid.uuid4()))
    message = api.codec.encode(event)
    body: dict[str, Any] = {
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "subject": event.subject,
        "time": event.time,
    }
    for name, value in sign_event(api.signer, message.headers, message.value):
        body[name.removeprefix("ce_")] = value.decode()
    if json_data:
        body["data"] = _json_ready(data)
    else:
        body["data_base64"] = base64.b64encode(message.value).decode()
    return body


def _json_ready(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value
