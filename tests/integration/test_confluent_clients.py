"""Confluent's own Python client (confluent-kafka) against the hub: its SchemaRegistryClient
registers and fetches through /schema-registry, and its AvroDeserializer reads hub events
written by the hub's codec to a real Kafka topic."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from kafka import KafkaProducer

from hub_settings import HubSettings
from registry.schema_store import SchemaStore
from schemas import EventCodec, load_catalog
from schemas.examples import example_event
from tests.integration.api_support import running_api

pytestmark = pytest.mark.integration
SUBJECT = "vn.gov.thanhhoa.hub.DossierSubmitted"


def librdkafka_config(settings: HubSettings) -> dict[str, Any]:
    """Confluent's (librdkafka's) names for the cluster and security settings (HUB_KAFKA_*)."""
    kafka = settings.kafka
    config: dict[str, Any] = {
        "bootstrap.servers": settings.bootstrap,
        "security.protocol": kafka.security_protocol.lower(),
    }
    if kafka.sasl_mechanism is not None:
        config["sasl.mechanisms"] = kafka.sasl_mechanism
        config["sasl.username"] = kafka.sasl_username
        if kafka.sasl_password is not None:
            config["sasl.password"] = kafka.sasl_password.get_secret_value()
    for ours, theirs in (
        ("ssl_cafile", "ssl.ca.location"),
        ("ssl_certfile", "ssl.certificate.location"),
        ("ssl_keyfile", "ssl.key.location"),
    ):
        if getattr(kafka, ours) is not None:
            config[theirs] = str(getattr(kafka, ours))
    if not kafka.ssl_check_hostname:
        config["ssl.endpoint.identification.algorithm"] = "none"
    return config


def test_confluent_registry_client_registers_and_fetches(registry_url: str) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    text = load_catalog().schema_text(SUBJECT)
    schema_id = client.register_schema(SUBJECT, Schema(text, "AVRO"))
    assert client.register_schema(SUBJECT, Schema(text, "AVRO")) == schema_id  # same id
    latest = client.get_latest_version(SUBJECT)
    assert (latest.schema_id, latest.version) == (schema_id, 1)
    assert "DossierSubmitted" in client.get_schema(schema_id).schema_str
    assert SUBJECT in client.get_subjects()
    assert client.test_compatibility(SUBJECT, Schema(text, "AVRO"))


def test_confluent_client_against_the_whole_hub_api(settings: HubSettings, tmp_path: Path) -> None:
    """The same client at ``/schema-registry`` of the hub API itself (create_app, with its
    middlewares), where ``hub schemas register`` has put every contract."""
    with running_api(settings, tmp_path) as api:
        client = SchemaRegistryClient({"url": f"{api.url}/schema-registry"})
        assert SUBJECT in client.get_subjects()
        latest = client.get_latest_version(SUBJECT)
        text = load_catalog().schema_text(SUBJECT)
        assert client.register_schema(SUBJECT, Schema(text, "AVRO")) == latest.schema_id
        assert "DossierSubmitted" in client.get_schema(latest.schema_id).schema_str
        assert client.test_compatibility(SUBJECT, Schema(text, "AVRO"))


def test_confluent_avro_deserializer_reads_hub_events(
    settings: HubSettings,
    registry_url: str,
    registry_topic: str,
    new_topic: Callable[..., str],
) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    client.register_schema(SUBJECT, Schema(load_catalog().schema_text(SUBJECT), "AVRO"))
    topic = new_topic("confluent")
    event = example_event("vn.gov.thanhhoa.dossier.submitted")
    with SchemaStore(settings, topic=registry_topic) as store:
        message = EventCodec(store).encode(event)
    producer = KafkaProducer(**settings.kafka_client_config())
    producer.send(topic, key=message.key, value=message.value, headers=message.header_list())
    producer.flush()
    producer.close()

    consumer = Consumer(
        {
            **librdkafka_config(settings),
            "group.id": f"confluent-{topic}",
            "auto.offset.reset": "earliest",
        }
    )
    try:
        consumer.subscribe([topic])
        record = None
        for _ in range(60):
            record = consumer.poll(1.0)
            if record is not None and record.error() is None:
                break
        assert record is not None
        assert record.error() is None
        deserialize = AvroDeserializer(client)
        value = deserialize(record.value(), SerializationContext(topic, MessageField.VALUE))
    finally:
        consumer.close()
    assert value["dossier_code"] == event.data["dossier_code"]
    assert value["applicant"]["full_name"] == event.data["applicant"]["full_name"]
    assert dict(record.headers())["ce_type"] == b"vn.gov.thanhhoa.dossier.submitted"
