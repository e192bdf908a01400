"""The resources every stream worker shares: topics, schema store, registry view, signer.

Started once per worker process (``app.on_worker_init``) before any agent consumes, and
read by the agents through the module-level ``runtime``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from hub_settings import HubSettings
from registry.schema_store import SchemaStore
from registry.store import RegistryStore
from schemas import CloudEvent, EventCodec, KafkaMessage
from schemas.topics import TopicNames
from security import Signer, load_signer, sign_event
from streams.verification import Verifier

log = logging.getLogger(__name__)


class HubRuntime:
    """One worker's connections to the hub's shared state."""

    def __init__(self, settings: HubSettings) -> None:
        self.settings = settings
        self.names = TopicNames(settings.topic_prefix)
        self.schemas = SchemaStore(settings, topic=settings.schemas_topic)
        self.registry = RegistryStore(settings)
        self._codec: EventCodec | None = None
        self._verifier: Verifier | None = None
        self._signer: Signer | None = None
        self._known_topics: set[str] = set()

    def start(self) -> None:
        """Create missing topics, load the schema store and registry, load the hub key."""
        self.ensure_topics()
        self.schemas.start()
        self.registry.start()
        self.ensure_inboxes()
        self._codec = EventCodec(self.schemas)
        security = self.settings.security
        self._verifier = Verifier(
            self._codec,
            self.registry,
            max_bytes=security.max_message_bytes,
            max_skew_s=security.max_clock_skew_s,
        )
        key_file = self.settings.signing_key_file
        if key_file is not None:
            secret = self.settings.signing_key_passphrase
            passphrase = secret.get_secret_value().encode() if secret else b""
            self._signer = load_signer(key_file, passphrase, self.settings.agency_id)
        else:
            log.warning("HUB_SIGNING_KEY_FILE is not set: the hub cannot sign its own events")
        log.info(
            "hub runtime ready: prefix %s, %d agencies, %d procedures",
            self.settings.topic_prefix,
            len(self.registry.catalog().agencies),
            len(self.registry.catalog().procedures),
        )

    def stop(self) -> None:
        self.registry.stop()
        self.schemas.stop()

    @property
    def codec(self) -> EventCodec:
        assert self._codec is not None, "runtime not started"
        return self._codec

    @property
    def verifier(self) -> Verifier:
        assert self._verifier is not None, "runtime not started"
        return self._verifier

    def sign(self, event: CloudEvent) -> KafkaMessage:
        """Encode and sign an event the hub itself emits (routed, overdue)."""
        if self._signer is None:
            raise RuntimeError(
                "the hub has no signing key: set HUB_SIGNING_KEY_FILE and "
                "HUB_SIGNING_KEY_PASSPHRASE (create one with `hub keys generate`)"
            )
        message = self.codec.encode(event)
        extra = sign_event(self._signer, message.headers, message.value)
        return KafkaMessage(message.key, message.value, message.headers + extra)

    @property
    def signer(self) -> Signer | None:
        return self._signer

    @property
    def known_topics(self) -> set[str]:
        return self._known_topics

    # --- topics ---------------------------------------------------------------------------
    def _admin(self) -> KafkaAdminClient:
        return KafkaAdminClient(**self.settings.kafka_client_config())

    def ensure_topics(self) -> None:
        """Create the hub's fixed topics (idempotent)."""
        streams = self.settings.streams
        single = {self.names.audit, self.names.audit_entries}
        compacted = {self.names.dossier_state}
        topics = [*self.names.fixed(), self.names.dossier_state]
        new = [
            NewTopic(
                name,
                num_partitions=1 if name in single else streams.partitions,
                replication_factor=streams.replication_factor,
                topic_configs={"cleanup.policy": "compact"} if name in compacted else {},
            )
            for name in topics
        ]
        self._create(new)
        self._known_topics.update(topics)

    def ensure_changelogs(self, names: Iterable[str]) -> None:
        """The tables' changelog topics, created before the worker first joins its group.

        Left to Faust, a changelog is created moments before the join, and the consumer's
        partition snapshot can then list it with fewer partitions than its source topic:
        every table write fails with PartitionsMismatch (and good events went to quarantine
        as internal errors) until the next metadata change. Same layout as Faust's own."""
        streams = self.settings.streams
        compact = {"cleanup.policy": "compact"}
        self._create(
            [
                NewTopic(n, streams.partitions, streams.replication_factor, topic_configs=compact)
                for n in names
            ]
        )

    def ensure_inboxes(self) -> None:
        """An inbox for every registered agency and subscribing system, so that a newly
        onboarded department's connector finds its inbox before the first dossier."""
        catalog = self.registry.catalog()
        owners = {*catalog.agencies, *(s.subscriber for s in catalog.subscriptions.values())}
        streams = self.settings.streams
        names = sorted(self.names.inbox(owner) for owner in owners)
        self._create([NewTopic(n, streams.partitions, streams.replication_factor) for n in names])
        self._known_topics.update(names)

    def ensure_inbox(self, agency_or_system: str) -> str:
        """The inbox topic of an agency or system, created on first use."""
        name = self.names.inbox(agency_or_system)
        if name not in self._known_topics:
            streams = self.settings.streams
            self._create([NewTopic(name, streams.partitions, streams.replication_factor)])
            self._known_topics.add(name)
        return name

    def _create(self, topics: list[NewTopic]) -> None:
        admin = self._admin()
        try:
            existing = set(admin.list_topics())
            missing = [t for t in topics if t.name not in existing]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):
                    admin.create_topics(missing, wait_for_metadata=True)
        except KafkaError as exc:
            raise RuntimeError(f"cannot create hub topics: {exc}") from exc
        finally:
            admin.close()


def utc_now() -> datetime:
    return datetime.now(UTC)
