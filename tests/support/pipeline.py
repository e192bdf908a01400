"""A whole hub pipeline for integration tests: its own topics, registry, keys and worker.

One per test session (``pipeline`` fixture): a unique topic prefix on the shared broker,
the schemas registered, the Thanh Hóa catalog applied, signing keys for the hub and a few
agencies, and a real stream worker process. Tests use unique dossier codes, so they can
share it.
"""

from __future__ import annotations

import json
import secrets
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from hub_api.acl import apply_agency_acls, apply_worker_acls
from hub_api.schemas_cli import register_all
from hub_api.topic_cleanup import delete_topics_with_prefix
from hub_settings import HubSettings, KafkaSettings, kafka_python_config
from registry.catalog_loader import load_catalog
from registry.keys import generate_agency_key
from registry.publishing import EventPublisher, signed_batch, signed_message
from registry.schema_store import SchemaStore
from registry.store import RegistryStore
from schemas import CloudEvent, EventCodec, KafkaMessage
from schemas.topics import TopicNames
from security import Signer, load_signer
from tests.support.processes import ChildProcess, python_module

PASSPHRASE = b"test-passphrase-not-secret"
HUB = "000.00.00.H56"
JUSTICE = "000.00.06.H56"  # Sở Tư pháp
ONE_STOP = "000.00.14.H56"  # Trung tâm Phục vụ hành chính công
HAC_THANH = "000.17.22.H56"  # Phường Hạc Thành
POLICE = "000.00.15.H56"  # Công an tỉnh
SOCIAL_INSURANCE = "000.00.16.H56"  # Bảo hiểm xã hội tỉnh
FINANCE = "000.00.03.H56"  # Sở Tài chính (its key is revoked by a trust test)
AGENCIES = (HUB, JUSTICE, ONE_STOP, HAC_THANH, POLICE, SOCIAL_INSURANCE, FINANCE)


def kafka_env(kafka: KafkaSettings, bootstrap: str) -> dict[str, str]:
    """``HUB_KAFKA_*`` for a child process connecting like ``kafka``."""
    env = {"HUB_KAFKA_BOOTSTRAP": bootstrap, "HUB_KAFKA_SECURITY_PROTOCOL": kafka.security_protocol}
    if kafka.sasl_mechanism is not None:
        env["HUB_KAFKA_SASL_MECHANISM"] = kafka.sasl_mechanism
        env["HUB_KAFKA_SASL_USERNAME"] = kafka.sasl_username or ""
        secret = kafka.sasl_password
        env["HUB_KAFKA_SASL_PASSWORD"] = secret.get_secret_value() if secret else ""
    if kafka.ssl_cafile is not None:
        env["HUB_KAFKA_SSL_CAFILE"] = str(kafka.ssl_cafile)
    return env


def settings_env(settings: HubSettings, kafka: KafkaSettings | None = None) -> dict[str, str]:
    """The environment that gives a child process the same settings (or other Kafka ones)."""
    chosen = kafka or settings.kafka
    env = {
        **kafka_env(chosen, chosen.bootstrap or settings.bootstrap),
        "HUB_TOPIC_PREFIX": settings.topic_prefix,
        "HUB_SCHEMAS_TOPIC": settings.schemas_topic,
        "HUB_AGENCY_ID": settings.agency_id,
        "HUB_STREAMS_APP_ID": settings.streams.app_id,
        "HUB_STREAMS_PARTITIONS": str(settings.streams.partitions),
        "HUB_STREAMS_DATA_DIR": str(settings.streams.data_dir),
        "HUB_STREAMS_TABLE_STORE": settings.streams.table_store,
        "HUB_STREAMS_WEB_ENABLED": "false",
        "HUB_STREAMS_METRICS_PORT": str(settings.streams.metrics_port),
        "HUB_SECURITY_MAX_MESSAGE_BYTES": str(settings.security.max_message_bytes),
        "HUB_SECURITY_MAX_CLOCK_SKEW_S": str(settings.security.max_clock_skew_s),
        "HUB_STREAMS_OVERDUE_SCAN_INTERVAL_S": str(settings.streams.overdue_scan_interval_s),
        "HUB_STREAMS_AUDIT_CHECKPOINT_EVERY": str(settings.streams.audit_checkpoint_every),
        "HUB_STREAMS_AUDIT_CHECKPOINT_INTERVAL_S": str(
            settings.streams.audit_checkpoint_interval_s
        ),
    }
    if settings.signing_key_file is not None:
        env["HUB_SIGNING_KEY_FILE"] = str(settings.signing_key_file)
        env["HUB_SIGNING_KEY_PASSPHRASE"] = PASSPHRASE.decode()
    return env


@dataclass
class Pipeline:
    """A running isolated hub: settings, names, keys, codec and the worker process."""

    settings: HubSettings
    names: TopicNames
    codec: EventCodec
    signers: dict[str, Signer]
    workdir: Path
    schema_store: SchemaStore | None = None
    worker_kafka: KafkaSettings | None = None
    """How workers connect: as their own principal over SASL_SSL, with ACLs, when local."""
    workers: list[ChildProcess] = field(default_factory=list)
    metrics_ports: dict[str, int] = field(default_factory=dict)
    """Each started worker's ``/metrics`` port, by worker name."""
    _producer: KafkaProducer | None = None
    _agency_producers: dict[str, KafkaProducer] = field(default_factory=dict)

    # --- publishing ---------------------------------------------------------------------
    def sign(self, event: CloudEvent, agency: str | None = None) -> KafkaMessage:
        return signed_message(self.codec, self.signers[agency or event.source], event)

    def sign_batch(self, events: Sequence[CloudEvent], agency: str) -> list[KafkaMessage]:
        return signed_batch(self.codec, self.signers[agency], events)

    def send(
        self,
        messages: Sequence[KafkaMessage],
        topic: str | None = None,
        as_agency: str | None = None,
    ) -> None:
        """Produce raw messages (good or deliberately bad) to ingress and wait for acks.

        With ``as_agency``: as that agency's own principal over SASL_SSL, so the broker's
        ACLs apply as in production (on an external cluster: the settings' client)."""
        producer = self._agency_producer(as_agency) if as_agency else self._plain_producer()
        target = topic or self.names.ingress
        futures = [
            producer.send(target, key=m.key, value=m.value, headers=m.header_list())
            for m in messages
        ]
        producer.flush()
        for future in futures:
            future.get(timeout=30)

    def _plain_producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = KafkaProducer(**self.settings.kafka_client_config(), acks="all")
        return self._producer

    def _agency_producer(self, agency: str) -> KafkaProducer:
        if agency not in self._agency_producers:
            kafka = agency_principal(self.settings, agency)
            config = (
                kafka_python_config(kafka, kafka.bootstrap or "")
                if kafka is not None
                else self.settings.kafka_client_config()
            )
            self._agency_producers[agency] = KafkaProducer(**config, acks="all")
        return self._agency_producers[agency]

    def publish(self, *events: CloudEvent) -> None:
        """Sign each event with its source agency's key and publish to ingress."""
        self.send([self.sign(event) for event in events])

    def publisher(self, agency: str) -> EventPublisher:
        return EventPublisher(self.settings, self.codec, self.signers[agency])

    # --- reading ------------------------------------------------------------------------
    def read(
        self,
        topic: str,
        until: Callable[[list[KafkaMessage]], bool],
        timeout_s: float = 60.0,
    ) -> list[KafkaMessage]:
        """Read ``topic`` from the beginning until ``until(records)`` holds (or time out)."""
        consumer = KafkaConsumer(**self.settings.kafka_client_config(), enable_auto_commit=False)
        records: list[KafkaMessage] = []
        try:
            partitions = consumer.partitions_for_topic(topic) or set()
            deadline = time.monotonic() + timeout_s
            while not partitions and time.monotonic() < deadline:
                time.sleep(0.2)
                partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            while time.monotonic() < deadline:
                for batch in consumer.poll(timeout_ms=200).values():
                    records.extend(KafkaMessage.from_record(r) for r in batch)
                if until(records):
                    return records
        finally:
            consumer.close()
        worker_logs = "\n".join(w.tail(30) for w in self.workers)
        raise AssertionError(
            f"{topic}: condition not met within {timeout_s}s; {len(records)} records read.\n"
            f"worker log tail:\n{worker_logs}"
        )

    def records_for(
        self, topic: str, subject: str, count: int, timeout_s: float = 60.0
    ) -> list[KafkaMessage]:
        """The records of ``topic`` whose key is ``subject``, once there are ``count``."""
        key = subject.encode()

        def enough(records: list[KafkaMessage]) -> bool:
            return sum(1 for r in records if r.key == key) >= count

        return [r for r in self.read(topic, enough, timeout_s) if r.key == key]

    def dossier_state(self, code: str, until: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The latest tracked state of ``code`` once ``until(state)`` holds."""
        key = code.encode()

        def latest(records: list[KafkaMessage]) -> dict[str, Any] | None:
            mine = [r for r in records if r.key == key]
            return json.loads(mine[-1].value) if mine else None

        records = self.read(
            self.names.dossier_state, lambda rs: (s := latest(rs)) is not None and until(s)
        )
        found = latest(records)
        assert found is not None
        return found

    def quarantined(self, ce_id: str, timeout_s: float = 60.0) -> dict[str, str]:
        """The ``hub_reject_*`` headers of the quarantined record with this ce_id."""
        wanted = ce_id.encode()

        def has(records: list[KafkaMessage]) -> bool:
            return any(dict(r.headers).get("ce_id") == wanted for r in records)

        records = self.read(self.names.quarantine, has, timeout_s)
        record = next(r for r in records if dict(r.headers).get("ce_id") == wanted)
        return {
            name: value.decode() for name, value in record.headers if name.startswith("hub_reject_")
        }

    # --- workers ------------------------------------------------------------------------
    def start_worker(self, name: str = "worker") -> ChildProcess:
        port = free_port()
        worker = ChildProcess(
            name,
            python_module("hub_api.cli", "worker", "--without-web"),
            {
                **settings_env(self.settings, self.worker_kafka),
                "HUB_STREAMS_METRICS_PORT": str(port),
            },
            self.workdir,
        ).start()
        self.workers.append(worker)
        self.metrics_ports[name] = port
        worker.wait_for("Worker ready", timeout_s=90)
        return worker

    def live_metrics_port(self) -> int:
        """The ``/metrics`` port of the newest running worker (tests may replace the first)."""
        for worker in reversed(self.workers):
            if worker.proc is not None and worker.proc.poll() is None:
                return self.metrics_ports[worker.name]
        raise AssertionError("no worker of this pipeline is running")

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        for producer in (self._producer, *self._agency_producers.values()):
            if producer is not None:
                producer.close()
        if self.schema_store is not None:
            self.schema_store.stop()
        delete_topics_with_prefix(
            self.settings.kafka_client_config(),
            [f"{self.settings.topic_prefix}.", self.settings.streams.app_id],
        )


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for a child process's server)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def new_event(
    ce_type: str, source: str, subject: str, data: dict[str, Any], *, at: datetime | None = None
) -> CloudEvent:
    """A CloudEvent with a fresh id, ``at`` (default now) as its time."""
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    stamp = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return CloudEvent(type=ce_type, source=source, subject=subject, data=data, time=stamp)


def build_pipeline(base: HubSettings, workdir: Path, *, table_store: str = "memory://") -> Pipeline:
    """Set up an isolated hub on the shared broker (no worker started yet)."""
    run = uuid.uuid4().hex[:8]
    prefix = f"p{run}.hub"
    streams = base.streams.model_copy(
        update={
            "app_id": f"hub-test-{run}",
            "partitions": 3,
            "data_dir": workdir / "streams",
            "table_store": table_store,
            "web_enabled": False,
            "metrics_port": 0,  # off, unless a worker is given its own port (start_worker)
            "overdue_scan_interval_s": 1.0,
            "audit_checkpoint_every": 20,
            "audit_checkpoint_interval_s": 5.0,
        }
    )
    security = base.security.model_copy(update={"max_message_bytes": 100_000})
    settings = base.model_copy(
        update={
            "topic_prefix": prefix,
            "schemas_topic": f"{prefix}._schemas",
            "streams": streams,
            "security": security,
        }
    )
    schema_store = SchemaStore(settings, topic=settings.schemas_topic)
    with schema_store:
        register_all(settings, store=schema_store)
    keys_dir = workdir / "keys"
    signers: dict[str, Signer] = {}
    with RegistryStore(settings) as registry:
        registry.apply(load_catalog())
        now = datetime.now(UTC)
        for agency in AGENCIES:
            path, key = generate_agency_key(registry, agency, keys_dir, PASSPHRASE, now=now)
            signers[agency] = load_signer(path, PASSPHRASE, agency, key.key_id)
            if agency == HUB:
                settings = settings.model_copy(update={"signing_key_file": path})
    resolver = SchemaStore(settings, topic=settings.schemas_topic)
    resolver.start()
    return Pipeline(
        settings,
        TopicNames(prefix),
        EventCodec(resolver),
        signers,
        workdir,
        resolver,
        worker_principal(settings, run),
    )


def worker_principal(settings: HubSettings, run: str) -> KafkaSettings | None:
    """A fresh hub-worker principal on the local broker's SASL_SSL listener, with only the
    worker ACLs for this pipeline's topics; None on an external cluster (its own setup)."""
    return _local_principal(
        settings,
        f"hub-worker-{run}",
        lambda admin, name, password: apply_worker_acls(
            admin,
            username=name,
            topic_prefix=settings.topic_prefix,
            app_id=settings.streams.app_id,
            schemas_topic=settings.schemas_topic,
            password=password,
        ),
    )


def agency_principal(settings: HubSettings, agency: str) -> KafkaSettings | None:
    """The agency's principal on the local SASL_SSL listener with a fresh password and the
    agency ACLs for this pipeline's topics (write ingress, read its own inbox)."""
    return _local_principal(
        settings,
        agency,
        lambda admin, name, password: apply_agency_acls(
            admin, name, settings.topic_prefix, password=password
        ),
    )


def _local_principal(
    settings: HubSettings, name: str, grant: Callable[[KafkaAdminClient, str, str], object]
) -> KafkaSettings | None:
    if settings.kafka.bootstrap != settings.local_kafka.bootstrap:
        return None
    admin_kafka = settings.local_kafka.secure_client()
    admin = KafkaAdminClient(**kafka_python_config(admin_kafka, admin_kafka.bootstrap or ""))
    password = secrets.token_urlsafe(16)
    try:
        grant(admin, name, password)
    finally:
        admin.close()
    return settings.local_kafka.secure_client(name, password)


@pytest.fixture(scope="session")
def pipeline(settings: HubSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """A running hub pipeline (one stream worker) shared by the session's tests."""
    hub = build_pipeline(settings, tmp_path_factory.mktemp("pipeline"))
    try:
        hub.start_worker()
        yield hub
    finally:
        hub.close()
