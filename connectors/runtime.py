"""Outbound connector: inbox (or topic) -> mapping -> SOAP/REST delivery -> reply event.

One kafka-python consumer, partitions processed one record at a time, so a dossier's
events (one key, one partition) reach the legacy system in order. The offset is committed
manually after each record is settled: delivered, dead-lettered or skipped. Deliveries are
deduplicated by event id in the :class:`~connectors.dedupe.DeliveryLedger`; the event id
is the idempotency key of every request.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from connectors._durable import until_written
from connectors._rest import RestClient
from connectors._smtp import SmtpClient
from connectors._soap import SoapClient
from connectors.config import (
    ConnectorConfig,
    EventRule,
    RestTarget,
    SmtpTarget,
    SoapTarget,
    config_warnings,
    secret,
)
from connectors.dedupe import DeliveryLedger, LedgerState, StateLog, state_topic
from connectors.delivery import BreakerState, DeliveryPolicy
from connectors.errors import (
    InDoubtError,
    MappingError,
    PermanentDeliveryError,
    StateStoreError,
)
from connectors.metrics import ConnectorMetrics
from hub_settings import HubSettings
from registry.publishing import EventPublisher, PublishError
from schemas import CloudEvent, DecodeError, EncodeError, EventCodec, KafkaMessage
from schemas.rejects import Rejection, reject
from schemas.topics import TopicNames
from security import Signer

__all__ = ["OutboundConnector", "Target", "build_event", "open_target", "reply_id"]

log = logging.getLogger(__name__)
_LAG_EVERY_S = 5.0
_REPLY_NS = uuid.UUID("6f1d3c2a-8f0e-4a55-9d0b-0c1e4b7a5a11")


class Target(Protocol):
    """A legacy system endpoint: one configured request shape."""

    def send(self, request: dict[str, Any], source: Mapping[str, Any], key: str) -> dict[str, Any]:
        """Deliver; the answer as plain data, or one of our DeliveryErrors."""
        ...

    def close(self) -> None: ...


class _Soap:
    def __init__(self, target: SoapTarget) -> None:
        self.client = SoapClient(target, secret(target.password_env, "target.password_env"))

    def send(self, request: dict[str, Any], source: Mapping[str, Any], key: str) -> dict[str, Any]:
        return self.client.call(request, key)

    def close(self) -> None:
        self.client.close()


class _Rest:
    def __init__(self, target: RestTarget) -> None:
        self.client = RestClient(target)

    def send(self, request: dict[str, Any], source: Mapping[str, Any], key: str) -> dict[str, Any]:
        return self.client.call(request, source, key)

    def close(self) -> None:
        self.client.close()


def open_target(target: SoapTarget | RestTarget | SmtpTarget) -> Target:
    """The adapter for a configured target (secrets read from the environment)."""
    if isinstance(target, SmtpTarget):
        return SmtpClient(target)
    return _Soap(target) if isinstance(target, SoapTarget) else _Rest(target)


def reply_id(connector: str, event_id: str) -> str:
    """Deterministic id of the reply to ``event_id``: a republished reply dedupes downstream."""
    return str(uuid.uuid5(_REPLY_NS, f"{connector}/{event_id}"))


def build_event(
    config: ConnectorConfig, rule: EventRule, source: Mapping[str, Any], event_id: str
) -> CloudEvent:
    """A CloudEvent of ``rule.type`` from ``source``; MappingError naming the field."""
    data = config.mapping(rule.data).apply(source)
    subject = config.mapping({"subject": rule.subject}).apply(source)["subject"]
    now: datetime = source["now"]
    return CloudEvent(
        type=rule.type,
        source=config.agency,
        subject=str(subject),
        data=data,
        id=event_id,
        time=now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    )


def _event_source(config: ConnectorConfig, event: CloudEvent) -> dict[str, Any]:
    attrs = {"id": event.id, "type": event.type, "source": event.source}
    attrs |= {"subject": event.subject, "time": event.time}
    return {
        "event": attrs,
        "data": dict(event.data),
        "now": datetime.now(UTC),
        "connector": {"name": config.name, "agency": config.agency},
    }


class OutboundConnector:
    """Consumes, delivers, dead-letters and replies for one connector config."""

    def __init__(
        self,
        config: ConnectorConfig,
        settings: HubSettings,
        codec: EventCodec,
        signer: Signer,
        *,
        stop: threading.Event | None = None,
        metrics: ConnectorMetrics | None = None,
    ) -> None:
        if config.outbound is None:
            raise ValueError(f"connector {config.name} has no outbound side")
        self.config, self.out, self.settings, self.codec = config, config.outbound, settings, codec
        self.stop = stop or threading.Event()
        topics = TopicNames(settings.topic_prefix)
        self.topic = topics.inbox(config.agency) if self.out.source == "inbox" else self.out.source
        self.deadletter_topic = topics.deadletter
        self.group = f"{settings.topic_prefix}.connector.{config.name}"
        self.request = config.mapping(self.out.request)
        self.metrics = metrics or ConnectorMetrics(config.name)
        self.policy = DeliveryPolicy(
            self.out.retry,
            self.out.breaker,
            self.stop,
            self.metrics,
            peer_dedupes=self.out.peer_dedupes,
        )
        for field, warning in config_warnings(config):
            log.warning("connector %s: %s: %s", config.name, field, warning)
        breaker = self.policy.breaker
        self.metrics.watch_breaker(lambda: breaker.state is not BreakerState.CLOSED)
        self._lag_due = 0.0
        self.ledger = DeliveryLedger(
            StateLog(
                settings,
                state_topic(settings, config.name, "delivered"),
                retention_ms=7 * 86_400_000,
                stop=self.stop,
            )
        )
        self._signer = signer
        self._target: Target | None = None
        self._consumer: KafkaConsumer | None = None
        self._producer: KafkaProducer | None = None
        self._publisher: EventPublisher | None = None

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        known = self.ledger.load()
        cfg = self.settings.kafka_client_config()
        self._target = open_target(self.out.target)
        self._producer = KafkaProducer(**cfg, acks="all", enable_idempotence=True)
        self._publisher = EventPublisher(self.settings, self.codec, self._signer)
        self._consumer = KafkaConsumer(
            **cfg, group_id=self.group, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        # Assigned, not subscribed: one instance per connector, so a restart resumes at the
        # committed offsets at once instead of waiting for the dead member to leave a group.
        parts = None
        for _ in range(100):
            parts = self._consumer.partitions_for_topic(self.topic)
            if parts or self.stop.wait(0.1):
                break
        if not parts:
            raise StateStoreError(f"topic {self.topic} does not exist")
        self._consumer.assign([TopicPartition(self.topic, p) for p in sorted(parts)])
        log.info(
            "connector %s consuming %s (group %s, %d ids in ledger)",
            self.config.name,
            self.topic,
            self.group,
            known,
        )

    def close(self) -> None:
        for closer in (self._consumer, self._publisher, self._target, self.ledger):
            if closer is not None:
                closer.close()
        if self._producer is not None:
            self._producer.close(timeout=5)

    def run(self) -> None:
        """Until ``stop`` is set."""
        self.start()
        try:
            while not self.stop.is_set():
                self.poll_once()
        finally:
            self.close()

    # --- the loop -----------------------------------------------------------------------
    def poll_once(self, timeout_ms: int = 500) -> int:
        """Poll once and settle every record, partition by partition; returns the count."""
        assert self._consumer is not None
        settled = 0
        try:
            batches = self._consumer.poll(timeout_ms=timeout_ms)
        except KafkaError as exc:  # the broker is away: wait for it, do not end the thread
            log.warning("poll of %s failed (%s); trying again", self.topic, exc)
            self.stop.wait(1.0)
            return 0
        for part, records in batches.items():
            for record in records:
                if self.stop.is_set():
                    return settled
                self.metrics.settled(self.handle(record))
                self._commit(part, record.offset + 1)
                settled += 1
        if time.monotonic() >= self._lag_due:
            self._report_lag()
        return settled

    def _report_lag(self) -> None:
        """Lag of the assigned partitions from the consumer's fetch state."""
        assert self._consumer is not None
        self._lag_due = time.monotonic() + _LAG_EVERY_S
        lag = {}
        try:
            for part in self._consumer.assignment():
                end = self._consumer.highwater(part)
                if end is not None:
                    lag[(part.topic, part.partition)] = max(0, end - self._consumer.position(part))
        except KafkaError as exc:  # position() may ask the broker (offset validation)
            log.warning("lag of %s not known now (%s); keeping the last figure", self.topic, exc)
            return
        self.metrics.set_lag(self.group, lag)

    def _commit(self, part: TopicPartition, offset: int) -> None:
        assert self._consumer is not None
        try:
            self._consumer.commit({part: OffsetAndMetadata(offset, "", -1)})
        except KafkaError as exc:  # rebalanced or broker away: the ledger stops a redelivery
            log.warning("commit of %s@%d failed: %s", part, offset, exc)

    def handle(self, record: Any) -> str:
        """Settle one record; returns what happened (delivered, skipped, dead-lettered...)."""
        message = KafkaMessage.from_record(record)
        origin = f"{record.topic}/{record.partition}/{record.offset}"
        try:
            event = self.codec.decode(message)
        except DecodeError as exc:
            return self._dead_letter(message, "undecodable", str(exc), origin)
        if event.type not in self.out.events:
            return "skipped"
        entry = self.ledger.get(event.id)
        if entry is not None and entry.state is LedgerState.DONE:
            log.info("event %s already delivered; not sending it again", event.id)
            return "duplicate"
        source = _event_source(self.config, event)
        if entry is None or entry.state is LedgerState.ATTEMPTING:
            if entry is not None and not self.out.peer_dedupes:
                doubt = InDoubtError("a previous run stopped during this delivery")
                return self._dead_letter(message, doubt.reason, str(doubt), origin, event.id)
            try:
                request = self.request.apply(source)
            except MappingError as exc:
                return self._dead_letter(message, "mapping-failed", str(exc), origin, event.id)
            self.ledger.attempting(event.id)
            target = self._target
            assert target is not None
            try:
                answer = self.policy.run(lambda: target.send(request, source, event.id))
            except PermanentDeliveryError as exc:
                return self._dead_letter(message, exc.reason, str(exc), origin, event.id)
            self.ledger.delivered(event.id, answer)
            log.info("delivered %s (%s)", event.id, event.subject)
        self._reply(message, event, source, origin)
        self.ledger.done(event.id)
        return "delivered"

    def _reply(
        self, message: KafkaMessage, event: CloudEvent, source: dict[str, Any], origin: str
    ) -> None:
        rule = self.out.reply
        entry = self.ledger.get(event.id)
        if rule is None or entry is None:
            return
        assert self._publisher is not None
        publisher = self._publisher
        try:
            reply = build_event(
                self.config,
                rule,
                {**source, "response": entry.response or {}},
                reply_id(self.config.name, event.id),
            )
        except (MappingError, EncodeError) as exc:  # delivered, but no reply: say so
            self._dead_letter(message, "reply-failed", str(exc), origin)
            return

        def publish() -> None:
            try:
                publisher.publish([reply], batch=False)
            except PublishError as exc:
                raise StateStoreError(f"reply to {event.id} not published: {exc}") from exc

        try:
            until_written(publish, f"reply to {event.id}", self.stop)
        except EncodeError as exc:  # the reply does not fit its schema: delivered, no reply
            self._dead_letter(message, "reply-failed", str(exc), origin)

    def _dead_letter(
        self, message: KafkaMessage, reason: str, detail: str, origin: str, event_id: str = ""
    ) -> str:
        assert self._producer is not None
        stage = f"connector:{self.config.name}"
        record = reject(message, Rejection(reason, detail, stage, origin))
        producer = self._producer

        def write() -> None:
            try:
                producer.send(
                    self.deadletter_topic,
                    key=record.key,
                    value=record.value,
                    headers=record.header_list(),
                ).get(30)
            except KafkaError as exc:
                raise StateStoreError(f"dead-letter write failed: {exc}") from exc

        until_written(write, "dead-letter write", self.stop)
        if event_id:
            self.ledger.forget(event_id)
        log.warning("dead-lettered %s: %s: %s", event_id or origin, reason, detail)
        return "dead-lettered"
