"""The long-lived resources behind the API, built once per app and shared by the routers.

:func:`start_services` builds the real ones (Kafka producers, the registry view, the
dossier view); tests may hand ``create_app`` their own :class:`Services` instead.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import Request

from hub_api.dossier_view import DossierView
from hub_api.metrics import ApiMetrics
from hub_api.rejected import RejectedLog, Sender
from hub_settings import HubSettings
from registry import Catalog, WorkingCalendar
from registry.diff import Change
from registry.publishing import EventPublisher
from registry.schema_store import SchemaStore
from registry.store import RegistryStore
from schemas import EventCodec, KafkaMessage
from schemas.topics import TopicNames
from security import KeyLookup

__all__ = ["RecentEvents", "RegistryAccess", "Services", "get_services", "start_services"]


class RegistryAccess(Protocol):
    """What the API uses of :class:`registry.store.RegistryStore`."""

    @property
    def loaded(self) -> bool: ...

    def catalog(self) -> Catalog: ...

    def keys(self) -> KeyLookup: ...

    def apply(self, new: Catalog) -> list[Change]: ...


class RecentEvents:
    """Ids of recently accepted events with a digest of their content (bounded LRU)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._seen: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def digest(message: KafkaMessage) -> bytes:
        h = hashlib.sha256(message.value)
        for name, value in sorted(message.headers):
            h.update(len(name).to_bytes(4, "big") + name.encode())
            h.update(len(value).to_bytes(4, "big") + value)
        return h.digest()

    def seen(self, key: str) -> bytes | None:
        with self._lock:
            return self._seen.get(key)

    def add(self, key: str, digest: bytes) -> None:
        with self._lock:
            self._seen[key] = digest
            self._seen.move_to_end(key)
            while len(self._seen) > self._size:
                self._seen.popitem(last=False)


class _NoSigner:
    """The API never signs: events arrive signed by their agency."""

    key_id = "hub-api-does-not-sign"
    agency_id = "-"

    def sign(self, data: bytes) -> bytes:
        raise RuntimeError("the HTTP API forwards signed events; it holds no signing key")


class KafkaSender:
    """Sends to any topic through one EventPublisher per topic (acks=all, idempotent).

    ``on_sent`` is called with each batch once Kafka acknowledged it (the API's metrics).
    """

    def __init__(
        self, settings: HubSettings, codec: EventCodec, *, on_sent: Sender | None = None
    ) -> None:
        self._settings = settings
        self._codec = codec
        self._on_sent = on_sent
        self._publishers: dict[str, EventPublisher] = {}
        self._lock = threading.Lock()

    def __call__(self, topic: str, messages: Sequence[KafkaMessage]) -> None:
        with self._lock:
            publisher = self._publishers.get(topic)
            if publisher is None:
                publisher = EventPublisher(
                    self._settings, self._codec, _NoSigner(), topic=topic, linger_ms=1
                )
                self._publishers[topic] = publisher
        publisher.send(messages)
        if self._on_sent is not None:
            self._on_sent(topic, messages)

    def close(self) -> None:
        for publisher in self._publishers.values():
            publisher.close()


@dataclass
class Services:
    """Everything a request handler may need."""

    settings: HubSettings
    topics: TopicNames
    codec: EventCodec
    registry: RegistryAccess
    dossiers: DossierView
    send: Sender
    quarantine: Any  # RejectedLog (or a stand-in with browse/get)
    deadletter: Any
    schemas_loaded: Callable[[], bool] = lambda: True
    metrics: ApiMetrics = field(default_factory=ApiMetrics)
    recent: RecentEvents = field(default_factory=lambda: RecentEvents(100_000))
    _closers: list[Callable[[], None]] = field(default_factory=list)
    _calendar: tuple[int, WorkingCalendar] | None = None

    def calendar(self) -> WorkingCalendar:
        """The working calendar of the current catalog (rebuilt when the catalog changes)."""
        catalog = self.registry.catalog()
        if self._calendar is None or self._calendar[0] != id(catalog):
            self._calendar = (id(catalog), catalog.calendar())
        return self._calendar[1]

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer()
        self._closers.clear()


def start_services(
    settings: HubSettings, schema_store: SchemaStore, metrics: ApiMetrics
) -> Services:
    """Start the real resources (blocking: run it in a thread)."""
    topics = TopicNames(settings.topic_prefix)
    config = settings.kafka_client_config()
    codec = EventCodec(schema_store)
    registry = RegistryStore(settings).start()
    dossiers = DossierView(config, topics.dossier_state).start()
    sender = KafkaSender(settings, codec, on_sent=metrics.counting(topics.quarantine))
    metrics.watch_views(registry.catalog, schema_store.subjects)
    services = Services(
        settings=settings,
        topics=topics,
        codec=codec,
        registry=registry,
        dossiers=dossiers,
        send=sender,
        quarantine=RejectedLog(config, topics.quarantine),
        deadletter=RejectedLog(config, topics.deadletter),
        schemas_loaded=lambda: schema_store.subjects() is not None,
        metrics=metrics,
        recent=RecentEvents(settings.api.recent_event_ids),
    )
    services._closers.extend([registry.stop, dossiers.stop, sender.close])
    return services


def get_services(request: Request) -> Services:
    """The app's services (a FastAPI dependency)."""
    services = request.app.state.services
    assert isinstance(services, Services)
    return services
