"""An isolated hub pipeline for connector tests: topics, schemas, a key, events, readers."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

from connectors.config import ConnectorConfig, parse_config
from hub_api.schemas_cli import register_all
from hub_api.topic_cleanup import delete_topics_with_prefix
from hub_settings import HubSettings
from registry.publishing import signed_message
from registry.schema_store import SchemaStore
from schemas import CloudEvent, EventCodec, KafkaMessage
from schemas.rejects import Rejection, split_rejected
from schemas.topics import TopicNames
from security import FileSigner, PublicKeyInfo, generate_key_pair, load_signer, write_private_key

AGENCY = "000.90.02.H56"
PASSPHRASE = "test-passphrase"
SUBMITTED = "vn.gov.thanhhoa.dossier.submitted"
STATUS_CHANGED = "vn.gov.thanhhoa.dossier.status_changed"


def dossier(n: int) -> str:
    return f"{AGENCY}-260105-{n:04d}"


def submitted(code: str, child: str = "Lê Minh Khang", birth: str = "2025-12-30") -> CloudEvent:
    """A DossierSubmitted for a birth registration (form fields the civil-status peer needs)."""
    data = {
        "dossier_code": code,
        "procedure_code": "1.001193",
        "receiving_agency_id": AGENCY,
        "applicant": {"kind": "CITIZEN", "full_name": "Lê Văn An", "citizen_id": "038090001234"},
        "channel": "ONLINE",
        "submitted_at": datetime.now(UTC),
        "form_fields": {"child_name": child, "birth_date": birth, "father_name": "Lê Văn An"},
    }
    return CloudEvent(type=SUBMITTED, source="000.00.00.H56", subject=code, data=data)


@dataclass
class Pipeline:
    """One test's hub: its own topic prefix, inbox, ingress, dead-letter and agency key."""

    settings: HubSettings
    codec: EventCodec
    signer: FileSigner
    public: PublicKeyInfo
    key_file: Path
    topics: TopicNames
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def inbox(self) -> str:
        return self.topics.inbox(AGENCY)

    def config(self, raw: dict[str, Any]) -> ConnectorConfig:
        text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
        return parse_config(text, base_dir=self.key_file.parent)

    def publish_inbox(self, events: list[CloudEvent]) -> None:
        producer = KafkaProducer(**self.settings.kafka_client_config(), acks="all")
        try:
            for event in events:
                m = signed_message(self.codec, self.signer, event)
                producer.send(self.inbox, key=m.key, value=m.value, headers=m.header_list())
            producer.flush(10)
        finally:
            producer.close(timeout=5)

    def read(self, topic: str, expect: int, timeout_s: float = 20.0) -> list[KafkaMessage]:
        """Every record of ``topic`` once at least ``expect`` are there (or the timeout)."""
        consumer = KafkaConsumer(**self.settings.kafka_client_config(), enable_auto_commit=False)
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        found: list[KafkaMessage] = []
        deadline = time.monotonic() + timeout_s
        try:
            while len(found) < expect and time.monotonic() < deadline:
                for records in consumer.poll(timeout_ms=200).values():
                    found += [KafkaMessage.from_record(r) for r in records]
            if expect == 0:
                for records in consumer.poll(timeout_ms=500).values():
                    found += [KafkaMessage.from_record(r) for r in records]
        finally:
            consumer.close()
        return found

    def dead_letters(self, expect: int, timeout_s: float = 20.0) -> list[tuple[str, Rejection]]:
        """(event id, rejection) of each dead-letter record."""
        out = []
        for record in self.read(self.topics.deadletter, expect, timeout_s):
            original, why = split_rejected(record)
            out.append((dict(original.headers).get("ce_id", b"").decode(), why))
        return out


def wait_until(check: Callable[[], bool], timeout_s: float = 20.0, what: str = "") -> float:
    """Seconds it took for ``check`` to hold; AssertionError after ``timeout_s``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if check():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what or check}")


_schemas_ready: dict[str, str] = {}


def schemas_topic(settings: HubSettings) -> str:
    """One registered ``_schemas`` topic per test session (registration takes seconds)."""
    if "topic" not in _schemas_ready:
        topic = f"_schemas.connectors.{uuid.uuid4().hex[:8]}"
        register_all(settings, topic=topic)
        _schemas_ready["topic"] = topic
    return _schemas_ready["topic"]


def make_pipeline(
    settings: HubSettings, admin: KafkaAdminClient, tmp_path: Path, partitions: int = 3
) -> Iterator[Pipeline]:
    prefix = f"t{uuid.uuid4().hex[:8]}.hub"
    local = settings.model_copy(
        update={"topic_prefix": prefix, "schemas_topic": schemas_topic(settings)}
    )
    topics = TopicNames(prefix)
    names = [topics.inbox(AGENCY), topics.deadletter, topics.ingress]
    admin.create_topics([NewTopic(n, partitions if n == names[0] else 1, 1) for n in names])
    private, public = generate_key_pair(AGENCY)
    key_file = tmp_path / f"{AGENCY}.pem"
    write_private_key(key_file, private, PASSPHRASE.encode())
    signer = load_signer(key_file, PASSPHRASE.encode(), AGENCY)
    store = SchemaStore(local, topic=local.schemas_topic)
    store.start()
    pipeline = Pipeline(local, EventCodec(store), signer, public, key_file, topics)
    try:
        yield pipeline
    finally:
        for close in pipeline.closers:
            close()
        store.stop()
        delete_topics_with_prefix(settings.kafka_client_config(), [f"{prefix}."])


def as_json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)
