"""Broker-level security on the real broker: SASL_SSL + SCRAM-SHA-512, deny-by-default ACLs.

Every client here uses the authenticated listener; errors asserted are the broker's own
(error codes in its responses), not a client-side refusal.
"""

from __future__ import annotations

import time
import uuid

import aiokafka.errors as aio_errors
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.errors import (
    BrokerResponseError,
    GroupAuthorizationFailedError,
    TopicAuthorizationFailedError,
)

from hub_api.acl_cli import Principal as AclPrincipal
from hub_api.acl_cli import apply_principals
from hub_settings import HubSettings
from streams.credentials import faust_broker_credentials
from tests.integration.conftest import Principal, SecureHub, authenticates, connect_once

pytestmark = pytest.mark.integration

KEY = b"000.00.06.H56-261203-0001"


def _produce(principal: Principal, topic: str, value: bytes) -> None:
    producer = KafkaProducer(**principal.kafka_python(acks="all"))
    try:
        producer.send(topic, key=KEY, value=value, headers=[("ce_id", value)]).get(timeout=30)
    finally:
        producer.close()


def _consume(principal: Principal, topic: str, group: str, count: int) -> list[bytes]:
    consumer = KafkaConsumer(
        topic,
        **principal.kafka_python(),
        group_id=group,
        auto_offset_reset="earliest",
        consumer_timeout_ms=20_000,
    )
    values: list[bytes] = []
    try:
        for record in consumer:
            values.append(record.value)
            if len(values) == count:
                break
    finally:
        consumer.close()
    return values


def _poll_for_ten_seconds(consumer: KafkaConsumer) -> None:
    """Poll; nothing may be delivered (the broker's refusal surfaces as an exception)."""
    for _ in range(10):
        assert consumer.poll(timeout_ms=1000) == {}


def test_agency_produces_to_ingress_and_the_worker_routes_to_its_inbox(
    secure_hub: SecureHub,
) -> None:
    agency, worker = secure_hub.agency(), secure_hub.worker()
    topics = secure_hub.topics
    _produce(agency, topics.ingress, b"submitted")

    seen = _consume(worker, topics.ingress, f"{topics.prefix}.route", 1)
    assert seen == [b"submitted"]
    _produce(worker, topics.inbox(agency.name), b"routed")

    assert _consume(agency, topics.inbox(agency.name), f"{agency.name}.inbox", 1) == [b"routed"]


def test_reading_another_agencys_inbox_is_refused_by_the_broker(secure_hub: SecureHub) -> None:
    reader, owner = secure_hub.agency(), secure_hub.agency()
    other_inbox = secure_hub.topics.inbox(owner.name)
    _produce(secure_hub.worker(), other_inbox, b"private")

    consumer = KafkaConsumer(
        **reader.kafka_python(), group_id=f"{reader.name}.spy", auto_offset_reset="earliest"
    )
    consumer.assign([TopicPartition(other_inbox, 0)])
    try:
        with pytest.raises(TopicAuthorizationFailedError) as refused:
            _poll_for_ten_seconds(consumer)
    finally:
        consumer.close()
    assert isinstance(refused.value, BrokerResponseError)
    assert refused.value.errno == 29  # TOPIC_AUTHORIZATION_FAILED, in the broker's response


def test_another_agencys_consumer_group_is_refused_by_the_broker(secure_hub: SecureHub) -> None:
    reader, owner = secure_hub.agency(), secure_hub.agency()
    consumer = KafkaConsumer(
        secure_hub.topics.inbox(reader.name),
        **reader.kafka_python(),
        group_id=f"{owner.name}.inbox",
        auto_offset_reset="earliest",
    )
    try:
        with pytest.raises(GroupAuthorizationFailedError) as refused:
            _poll_for_ten_seconds(consumer)
    finally:
        consumer.close()
    assert refused.value.errno == 30  # GROUP_AUTHORIZATION_FAILED


def test_agency_cannot_write_an_inbox_or_create_topics(secure_hub: SecureHub) -> None:
    agency = secure_hub.agency()
    with pytest.raises(TopicAuthorizationFailedError):
        _produce(agency, secure_hub.topics.inbox(agency.name), b"forged routing")
    admin = KafkaAdminClient(**agency.kafka_python())
    try:
        name = f"{secure_hub.topics.prefix}.mine"
        result = admin.create_topics(
            {name: {"num_partitions": 1, "replication_factor": 1}}, raise_errors=False
        )
    finally:
        admin.close()
    assert [topic["error_code"] for topic in result["topics"]] == [29]


async def test_wrong_password_is_rejected_by_the_broker(secure_hub: SecureHub) -> None:
    agency = secure_hub.agency()
    wrong = secure_hub.broker.as_user(agency.name, agency.password + "x")
    with pytest.raises(aio_errors.SaslAuthenticationFailed) as refused:
        await connect_once(wrong)
    assert isinstance(refused.value, aio_errors.BrokerResponseError)
    assert refused.value.errno == 58  # SASL_AUTHENTICATION_FAILED
    assert "invalid credentials" in str(refused.value)
    assert authenticates(agency.kafka)


async def test_aiokafka_and_faust_credentials_over_sasl_ssl(secure_hub: SecureHub) -> None:
    """The Faust app's credentials, turned into aiokafka options as Faust does."""
    agency, worker = secure_hub.agency(), secure_hub.worker()
    faust_auth = credentials_to_aiokafka_auth(faust_broker_credentials(agency.kafka))
    assert faust_auth["security_protocol"] == "SASL_SSL"
    producer = AIOKafkaProducer(bootstrap_servers=agency.kafka.bootstrap, acks="all", **faust_auth)
    await producer.start()
    try:
        await producer.send_and_wait(secure_hub.topics.ingress, key=KEY, value=b"via-faust-auth")
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        secure_hub.topics.ingress,
        **worker.aiokafka(group_id=f"{secure_hub.topics.prefix}.{uuid.uuid4().hex[:6]}"),
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        record = await consumer.getone()
    finally:
        await consumer.stop()
    assert record.value == b"via-faust-auth"


async def test_aiokafka_subscription_to_another_inbox_is_refused(secure_hub: SecureHub) -> None:
    reader, owner = secure_hub.agency(), secure_hub.agency()
    consumer = AIOKafkaConsumer(
        secure_hub.topics.inbox(owner.name),
        **reader.aiokafka(group_id=f"{reader.name}.spy"),
    )
    with pytest.raises(aio_errors.TopicAuthorizationFailedError) as refused:
        await consumer.start()
    await consumer.stop()
    assert refused.value.errno == 29


def test_hub_acl_apply_sets_up_an_agency(settings: HubSettings, secure_hub: SecureHub) -> None:
    """``hub acl apply``'s function, run with the admin's settings on the secure listener."""
    n = uuid.uuid4().int % 10**5
    agency_id, password = f"{n // 100:03d}.00.98.T{n % 100:02d}", "apply-" + uuid.uuid4().hex
    admin_settings = settings.model_copy(update={"kafka": secure_hub.broker.admin})
    secure_hub.principals.append(agency_id)
    lines = apply_principals(
        admin_settings, [AclPrincipal(agency_id, password)], secure_hub.topics.prefix
    )
    assert f"User:{agency_id} ALLOW WRITE TOPIC name={secure_hub.topics.ingress}" in lines
    agency = secure_hub.broker.as_user(agency_id, password)
    deadline = time.monotonic() + 15
    while not authenticates(agency):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    _produce(Principal(agency_id, password, agency), secure_hub.topics.ingress, b"applied")
