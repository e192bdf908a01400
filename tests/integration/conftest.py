"""Fixtures for broker-security tests: the SASL_SSL listener, its admin, fresh principals.

Every test gets its own topic prefix and its own principals (unique agency ids and worker
name, random passwords), so tests stay independent on the shared session broker. The
plaintext listener is not used here except by the session fixtures in ``tests/conftest.py``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from aiokafka.conn import AIOKafkaConnection
from aiokafka.errors import KafkaError as AioKafkaError
from fastapi import FastAPI
from kafka import KafkaAdminClient
from kafka.admin import (
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePatternFilter,
    ResourceType,
    UserScramCredentialDeletion,
)
from kafka.errors import KafkaError
from pydantic import SecretStr

from hub_api.acl import apply_agency_acls, apply_worker_acls
from hub_api.routers.schema_registry import attach_schema_registry
from hub_settings import HubSettings, KafkaSettings, aiokafka_security_config, kafka_python_config
from schemas.topics import TopicNames

_SASL = ("SASL_PLAINTEXT", "SASL_SSL")


@dataclass(frozen=True)
class SecureBroker:
    """How to reach the authenticated listener: as the admin, or as any principal."""

    admin: KafkaSettings

    def as_user(self, username: str, password: str) -> KafkaSettings:
        update = {"sasl_username": username, "sasl_password": SecretStr(password)}
        return self.admin.model_copy(update=update)


@pytest.fixture(scope="session")
def secure_broker(settings: HubSettings) -> SecureBroker:
    """The session broker's SASL_SSL listener (or the external cluster's SASL admin)."""
    # the session fixture points settings.kafka at the local broker it started, too
    if settings.kafka.bootstrap != settings.local_kafka.bootstrap:
        if settings.kafka.security_protocol not in _SASL:
            pytest.skip("broker-security tests need a SASL listener on HUB_KAFKA_BOOTSTRAP")
        return SecureBroker(settings.kafka)
    return SecureBroker(settings.local_kafka.secure_client())


@pytest.fixture(scope="session")
def secure_admin(secure_broker: SecureBroker) -> Iterator[KafkaAdminClient]:
    """A kafka-python admin client authenticated as the SCRAM admin (a super user)."""
    kafka = secure_broker.admin
    admin = KafkaAdminClient(**kafka_python_config(kafka, kafka.bootstrap or ""))
    yield admin
    admin.close()


def authenticates(kafka: KafkaSettings) -> bool:
    """True when the broker accepts the principal's SCRAM handshake (one connection)."""

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        try:
            pool.submit(asyncio.run, connect_once(kafka)).result(timeout=30)
        except AioKafkaError:
            return False
    return True


async def connect_once(kafka: KafkaSettings) -> None:
    """Open one connection (TLS, SASL handshake) and close it cleanly; raises the broker's error."""
    host, port = (kafka.bootstrap or "").rsplit(":", 1)
    conn = AIOKafkaConnection(host, int(port), **aiokafka_security_config(kafka))
    try:
        await conn.connect()
    finally:
        await asyncio.wait_for(conn.close(), timeout=10)


@dataclass(frozen=True)
class Principal:
    """One authenticated identity and its client settings."""

    name: str
    password: str
    kafka: KafkaSettings

    def kafka_python(self, **extra: Any) -> dict[str, Any]:
        return {**kafka_python_config(self.kafka, self.kafka.bootstrap or ""), **extra}

    def aiokafka(self, **extra: Any) -> dict[str, Any]:
        return {
            "bootstrap_servers": self.kafka.bootstrap,
            **aiokafka_security_config(self.kafka),
            **extra,
        }


@dataclass
class SecureHub:
    """A test's own topic prefix, its agencies and its hub worker on the secure listener."""

    broker: SecureBroker
    admin: KafkaAdminClient
    topics: TopicNames
    principals: list[str] = field(default_factory=list)
    created_topics: list[str] = field(default_factory=list)

    def _principal(self, name: str, apply: Callable[[str], list[Any]]) -> Principal:
        password = secrets.token_urlsafe(18)
        acls = apply(password)
        self.principals.append(name)
        kafka = self.broker.as_user(name, password)
        deadline = time.monotonic() + 15
        while not (authenticates(kafka) and self._acls_visible(name, len(acls))):
            assert time.monotonic() < deadline, f"principal {name} not ready on the broker"
            time.sleep(0.2)
        return Principal(name, password, kafka)

    def _acls_visible(self, name: str, count: int) -> bool:
        acls, _ = self.admin.describe_acls(_principal_filter(name))
        return len(acls) >= count

    def agency(self) -> Principal:
        """A fresh agency (``User:<id>``) with its ACLs and its inbox topic."""
        n = secrets.randbelow(10**7)
        agency_id = f"{n // 10**4:03d}.{n // 100 % 100:02d}.99.T{n % 100:02d}"
        principal = self._principal(
            agency_id,
            lambda pw: apply_agency_acls(self.admin, agency_id, self.topics.prefix, password=pw),
        )
        self.create_topics(self.topics.inbox(agency_id))
        return principal

    def worker(self) -> Principal:
        """A hub-worker principal for this test's prefix (unique name, same grants)."""
        name = f"hub-worker.{uuid.uuid4().hex[:8]}"
        return self._principal(
            name,
            lambda pw: apply_worker_acls(
                self.admin,
                name,
                self.topics.prefix,
                app_id=f"{self.topics.prefix}-app",
                password=pw,
            ),
        )

    def create_topics(self, *names: str) -> None:
        new = {name: {"num_partitions": 1, "replication_factor": 1} for name in names}
        self.admin.create_topics(new, wait_for_metadata=True)
        self.created_topics.extend(names)

    def cleanup(self) -> None:
        with contextlib.suppress(KafkaError):
            if self.created_topics:
                self.admin.delete_topics(self.created_topics)
            if self.principals:
                self.admin.delete_acls([_principal_filter(name) for name in self.principals])
                self.admin.alter_user_scram_credentials(
                    [UserScramCredentialDeletion(name, "SCRAM-SHA-512") for name in self.principals]
                )


def _principal_filter(name: str) -> ACLFilter:
    return ACLFilter(
        principal=f"User:{name}",
        host="*",
        operation=ACLOperation.ANY,
        permission_type=ACLPermissionType.ANY,
        resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY),
    )


@pytest.fixture
def secure_hub(secure_broker: SecureBroker, secure_admin: KafkaAdminClient) -> Iterator[SecureHub]:
    """This test's prefix (``sec<hex>``) with its ingress topic; principals on demand."""
    hub = SecureHub(secure_broker, secure_admin, TopicNames(f"sec{uuid.uuid4().hex[:8]}"))
    hub.create_topics(hub.topics.ingress)
    yield hub
    hub.cleanup()


# --- the schema registry under uvicorn (Confluent REST API over real HTTP) -----------------


@pytest.fixture
def registry_topic(new_topic: Callable[..., str]) -> str:
    return new_topic("_schemas", compacted=True)


@pytest.fixture
def registry_url(settings: HubSettings, registry_topic: str) -> Iterator[str]:
    """A real uvicorn server whose lifespan starts and stops the schema store."""
    app = FastAPI()
    attach_schema_registry(app, settings, topic=registry_topic)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "uvicorn exited during start"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/schema-registry"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
