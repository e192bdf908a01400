"""Hub events through a real Kafka topic: encode, produce, consume, decode; evolution."""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from fastavro import parse_schema, schemaless_reader
from kafka import KafkaConsumer, KafkaProducer

from hub_api.schemas_cli import register_all
from hub_settings import HubSettings
from registry.schema_store import SchemaStore
from schemas import EVENT_TYPES, NAMESPACE, EventCodec, KafkaMessage, load_catalog
from schemas.examples import example_event

pytestmark = pytest.mark.integration

STATUS = f"{NAMESPACE}.DossierStatusChanged"
SIGNATURE = (("ce_sigkeyid", b"000.17.22.H56#2025"), ("ce_sig", b"\x01\x02\xff"))


@pytest.fixture
def store(settings: HubSettings, new_topic: Callable[..., str]) -> Iterator[SchemaStore]:
    with SchemaStore(settings, topic=new_topic("_schemas", compacted=True)) as running:
        register_all(settings, store=running)
        yield running


def _exchange(
    settings: HubSettings, topic: str, messages: list[KafkaMessage]
) -> list[KafkaMessage]:
    config = settings.kafka_client_config()
    producer = KafkaProducer(**config, acks="all")
    for message in messages:
        producer.send(topic, key=message.key, value=message.value, headers=message.header_list())
    producer.flush(timeout=30)
    producer.close()
    consumer = KafkaConsumer(
        topic, **config, group_id=None, auto_offset_reset="earliest", consumer_timeout_ms=10_000
    )
    received = []
    for record in consumer:
        received.append(KafkaMessage.from_record(record))
        if len(received) == len(messages):
            break
    consumer.close()
    return received


def test_every_event_round_trips_through_kafka(
    settings: HubSettings, store: SchemaStore, new_topic: Callable[..., str]
) -> None:
    codec = EventCodec(store)
    events = [replace(example_event(t), extra_headers=SIGNATURE) for t in EVENT_TYPES]
    received = _exchange(settings, new_topic("events"), [codec.encode(e) for e in events])
    assert len(received) == len(events)
    for sent, message in zip(events, received, strict=True):
        assert message.key == sent.subject.encode()
        decoded = EventCodec(store).decode(message)
        assert decoded.data == sent.data
        assert (decoded.id, decoded.type, decoded.time) == (sent.id, sent.type, sent.time)
        assert decoded.extra_headers == SIGNATURE


def test_plain_confluent_style_reader_can_read_hub_events(
    settings: HubSettings, store: SchemaStore, new_topic: Callable[..., str]
) -> None:
    """What a standard Confluent Avro deserializer does: magic, id, fetch schema, read."""
    event = example_event()
    [message] = _exchange(settings, new_topic("events"), [EventCodec(store).encode(event)])
    magic, schema_id = struct.unpack(">bI", message.value[:5])
    assert magic == 0
    writer = parse_schema(json.loads(store.schema_by_id(schema_id)))
    assert schemaless_reader(io.BytesIO(message.value[5:]), writer, None) == event.data


def test_event_written_with_an_older_schema_decodes(
    settings: HubSettings, store: SchemaStore, new_topic: Callable[..., str]
) -> None:
    old = load_catalog().schema(STATUS)
    old["fields"] = [f for f in old["fields"] if f["name"] not in ("note", "previous_status")]
    old_text = json.dumps(old)
    old_id = store.register(STATUS, old_text)  # BACKWARD: dropping fields is allowed
    old_producer = EventCodec(store, writer_schemas={STATUS: old_text})
    event = example_event("vn.gov.thanhhoa.dossier.status_changed")
    data = {k: v for k, v in event.data.items() if k not in ("note", "previous_status")}
    [message] = _exchange(
        settings, new_topic("events"), [old_producer.encode(replace(event, data=data))]
    )
    decoded = EventCodec(store).decode(message)
    assert decoded.schema_id == old_id
    assert decoded.data["note"] is None
    assert decoded.data["previous_status"] is None
    assert decoded.data["status"] == event.data["status"]
