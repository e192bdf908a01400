"""The hub's client library for publishers: encode, sign and send events to ``hub.ingress``.

Agency systems, connectors, the HTTP ingress and the benchmarks all publish through this:
one event signed on its own, or a batch signed once over a Merkle root (much cheaper to
verify). Sends use acks=all with idempotence, and ``publish`` returns only once Kafka has
acknowledged every message.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

from kafka import KafkaProducer
from kafka.errors import KafkaError

from hub_settings import HubSettings
from registry.errors import RegistryError
from schemas import CloudEvent, EventCodec, KafkaMessage
from schemas.topics import TopicNames
from security import Signer, sign_batch, sign_event

__all__ = ["EventPublisher", "PublishError", "signed_batch", "signed_message"]


class PublishError(RegistryError):
    """Kafka did not acknowledge a publish; nothing is known to be stored."""


def _with(message: KafkaMessage, extra: tuple[tuple[str, bytes], ...]) -> KafkaMessage:
    return KafkaMessage(message.key, message.value, message.headers + extra)


def signed_message(codec: EventCodec, signer: Signer, event: CloudEvent) -> KafkaMessage:
    """``event`` encoded and signed with ``signer`` (single Ed25519 signature)."""
    message = codec.encode(event)
    return _with(message, sign_event(signer, message.headers, message.value))


def signed_batch(
    codec: EventCodec, signer: Signer, events: Sequence[CloudEvent]
) -> list[KafkaMessage]:
    """``events`` encoded and signed with one signature over their Merkle root."""
    messages = [codec.encode(event) for event in events]
    signatures = sign_batch(signer, [(m.headers, m.value) for m in messages])
    return [_with(m, extra) for m, extra in zip(messages, signatures, strict=True)]


class EventPublisher:
    """Publishes signed events to the ingress topic (or another topic) with kafka-python."""

    def __init__(
        self,
        settings: HubSettings,
        codec: EventCodec,
        signer: Signer,
        *,
        topic: str | None = None,
        linger_ms: int = 5,
    ) -> None:
        self.codec = codec
        self.signer = signer
        self.topic = topic or TopicNames(settings.topic_prefix).ingress
        self._producer = KafkaProducer(
            **settings.kafka_client_config(),
            acks="all",
            enable_idempotence=True,
            linger_ms=linger_ms,
        )

    def publish(self, events: Sequence[CloudEvent], *, batch: bool = True) -> list[str]:
        """Sign and send ``events``; returns their ids once Kafka acknowledged all."""
        if not events:
            return []
        if batch and len(events) > 1:
            messages = signed_batch(self.codec, self.signer, events)
        else:
            messages = [signed_message(self.codec, self.signer, e) for e in events]
        self.send(messages)
        return [event.id for event in events]

    def send(self, messages: Sequence[KafkaMessage], timeout_s: float = 30.0) -> None:
        """Send already-signed messages and wait for every acknowledgement."""
        try:
            futures = [
                self._producer.send(self.topic, key=m.key, value=m.value, headers=m.header_list())
                for m in messages
            ]
            self._producer.flush(timeout=timeout_s)
            for future in futures:
                future.get(timeout=timeout_s)
        except KafkaError as exc:
            raise PublishError(
                f"Kafka did not acknowledge the publish to {self.topic}: {exc}"
            ) from exc

    def close(self) -> None:
        self._producer.close(timeout=5)

    def __enter__(self) -> EventPublisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
