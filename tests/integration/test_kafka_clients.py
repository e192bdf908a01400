"""The pinned broker works with all three clients the hub uses: kafka-python, aiokafka, Faust."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType

from hub_settings import HubSettings
from tests.conftest import NewTopicFactory
from tests.support.processes import ChildProcess, python_module

pytestmark = pytest.mark.integration


def _consume(settings: HubSettings, topic: str, count: int) -> list[object]:
    consumer = KafkaConsumer(
        topic,
        **settings.kafka_client_config(),
        group_id=f"g-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        consumer_timeout_ms=20_000,
    )
    records = []
    for record in consumer:
        records.append(record)
        if len(records) == count:
            break
    consumer.close()
    return records


def test_kafka_python_produces_and_consumes_with_headers(
    settings: HubSettings, new_topic: NewTopicFactory
) -> None:
    topic = new_topic("clients", partitions=3)
    producer = KafkaProducer(**settings.kafka_client_config(), acks="all")
    for i in range(30):
        producer.send(
            topic,
            key=f"000.00.06.H56-261203-{i % 10:04d}".encode(),
            value=f"event-{i}".encode(),
            headers=[("ce_id", f"id-{i}".encode()), ("ce_type", b"vn.gov.thanhhoa.test")],
        )
    producer.flush()
    producer.close()

    records = _consume(settings, topic, 30)
    assert len(records) == 30
    by_key: dict[bytes, list[int]] = {}
    for record in records:
        headers = dict(record.headers)
        assert headers["ce_type"] == b"vn.gov.thanhhoa.test"
        index = int(record.value.decode().split("-")[1])
        assert headers["ce_id"] == f"id-{index}".encode()
        by_key.setdefault(record.key, []).append(index)
    # one key, one partition: each dossier's events stay in order
    assert all(indexes == sorted(indexes) for indexes in by_key.values())
    assert len({r.partition for r in records}) > 1


def test_kafka_python_admin_creates_and_describes_topics(
    kafka_admin: KafkaAdminClient, new_topic: NewTopicFactory
) -> None:
    topic = new_topic("admin", partitions=4, compacted=True)
    assert topic in kafka_admin.list_topics()
    described = kafka_admin.describe_topics([topic])
    assert len(described[0]["partitions"]) == 4
    configs = kafka_admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    cleanup = configs["topic"][topic]["cleanup.policy"]
    assert cleanup["value"] == "compact"


async def test_aiokafka_round_trips_headers(
    settings: HubSettings, new_topic: NewTopicFactory
) -> None:
    topic = new_topic("aio")
    producer = AIOKafkaProducer(**settings.aiokafka_client_config(), acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, key=b"k", value=b"\x00\x00\x00\x00\x01avro", headers=[("ce_id", b"abc")]
        )
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        **settings.aiokafka_client_config(),
        auto_offset_reset="earliest",
        group_id=f"g-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    try:
        record = await consumer.getone()
    finally:
        await consumer.stop()
    assert record.value == b"\x00\x00\x00\x00\x01avro"
    assert list(record.headers) == [("ce_id", b"abc")]


def test_faust_agent_with_table_consumes_produces_and_recovers(
    settings: HubSettings, new_topic: NewTopicFactory, tmp_path: Path
) -> None:
    """A real Faust worker: agent + table; its state survives a restart via the changelog."""
    source, sink = new_topic("faust-in"), new_topic("faust-out")
    env = {
        "PROBE_APP_ID": f"probe-{uuid.uuid4().hex[:8]}",
        "PROBE_BOOTSTRAP": settings.bootstrap,
        "PROBE_IN": source,
        "PROBE_OUT": sink,
    }
    argv = python_module(
        "faust",
        "-A",
        "tests.integration.faust_probe_app",
        "worker",
        "-l",
        "info",
        "--without-web",
    )
    producer = KafkaProducer(**settings.kafka_client_config())

    def send(value: bytes) -> None:
        producer.send(
            source, key=b"000.00.06.H56-261203-0001", value=value, headers=[("ce_id", value)]
        )
        producer.flush()

    worker = ChildProcess("faust-probe", argv, env, tmp_path).start()
    try:
        worker.wait_for("Worker ready")
        send(b"first")
        send(b"second")
        records = _consume(settings, sink, 2)
        assert [(r.value, dict(r.headers)["probe-count"]) for r in records] == [
            (b"first", b"1"),
            (b"second", b"2"),
        ]
        assert dict(records[0].headers)["ce_id"] == b"first"
        worker.stop()
        worker = ChildProcess("faust-probe", argv, env, tmp_path).start()
        worker.wait_for("Worker ready", occurrences=2)
        send(b"third")
        records = _consume(settings, sink, 3)
        assert dict(records[2].headers)["probe-count"] == b"3", worker.tail()
    finally:
        worker.stop()
        producer.close()
