"""Ingress verification as a pure function: may this message enter the hub?

Checks, in order, each with its own stable reason code (stored in quarantine):
size (``oversized``); CloudEvents headers, schema id, value (``missing_header``,
``invalid_header``, ``truncated_value``, ``bad_magic_byte``, ``unknown_schema_id``,
``value_mismatch``, ``event_type_mismatch``, ``unknown_event_type``); Kafka key equal to
``ce_subject`` (``key_subject_mismatch``); the source agency exists (``unknown_agency``);
clock skew (``clock_skew``); the signature (the security package's codes:
``missing_signature``, ``unknown_key``, ``key_revoked``, ``key_agency_mismatch``,
``key_not_valid_at_time``, ``bad_signature``, ``bad_merkle_proof``...); the agency may emit
this type (``type_not_allowed``). Replays are checked by the agent against its table
(``replayed``), because that needs state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from registry import Catalog
from schemas import (
    BadMagicByteError,
    CloudEvent,
    DecodeError,
    EventCodec,
    EventTypeMismatchError,
    InvalidHeaderError,
    KafkaMessage,
    MissingHeaderError,
    SchemaError,
    TruncatedValueError,
    UnknownSchemaIdError,
    ValueMismatchError,
)
from security import (
    EventRejected,
    KeyLookup,
    RootCache,
    SecurityError,
    check_clock_skew,
    verify_event,
)

_DECODE_REASONS: tuple[tuple[type[DecodeError], str], ...] = (
    (MissingHeaderError, "missing_header"),
    (InvalidHeaderError, "invalid_header"),
    (TruncatedValueError, "truncated_value"),
    (BadMagicByteError, "bad_magic_byte"),
    (UnknownSchemaIdError, "unknown_schema_id"),
    (ValueMismatchError, "value_mismatch"),
    (EventTypeMismatchError, "event_type_mismatch"),
)


class RegistryView(Protocol):
    """What verification reads from the registry: the catalog and the agencies' keys."""

    def catalog(self) -> Catalog: ...

    def keys(self) -> KeyLookup: ...


@dataclass(frozen=True, slots=True)
class Verdict:
    """Accepted (``event`` set, ``reason`` None) or rejected (``reason`` and ``detail``)."""

    event: CloudEvent | None
    reason: str | None = None
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return self.reason is None


def _reject(reason: str, detail: str) -> Verdict:
    return Verdict(None, reason, detail)


def decode_reason(exc: SchemaError) -> str:
    """The quarantine reason code for a codec error."""
    for kind, reason in _DECODE_REASONS:
        if isinstance(exc, kind):
            return reason
    return "unknown_event_type" if "event type" in str(exc) else "undecodable"


class Verifier:
    """Stateless checks for one process: codec, registry view, limits, verified-root cache."""

    def __init__(
        self,
        codec: EventCodec,
        registry: RegistryView,
        *,
        max_bytes: int,
        max_skew_s: float,
        root_cache: RootCache | None = None,
    ) -> None:
        self.codec = codec
        self.registry = registry
        self.max_bytes = max_bytes
        self.max_skew_s = max_skew_s
        self.root_cache = root_cache if root_cache is not None else RootCache()

    def check(
        self, message: KafkaMessage, now: datetime, received_at: datetime | None = None
    ) -> Verdict:
        """The verdict for one ingress message at time ``now``; ``received_at``, for an
        operator's replay from quarantine, is when the hub first received it: its clock
        skew is judged then (``streams.replay_reference``)."""
        size = len(message.value) + sum(len(n) + len(v) for n, v in message.headers)
        if size > self.max_bytes:
            return _reject("oversized", f"message is {size} bytes; the limit is {self.max_bytes}")
        try:
            event = self.codec.decode(message)
        except SchemaError as exc:
            return _reject(decode_reason(exc), str(exc))
        if message.key != event.subject.encode():
            return _reject(
                "key_subject_mismatch",
                f"Kafka key {message.key!r} differs from ce_subject {event.subject!r}",
            )
        agency = self.registry.catalog().agencies.get(event.source)
        if agency is None:
            return _reject(
                "unknown_agency", f"ce_source {event.source!r} is not a registered agency"
            )
        try:
            at = event.timestamp
            check_clock_skew(at, received_at or now, self.max_skew_s)
            verify_event(
                message.headers,
                message.value,
                self.registry.keys(),
                source_agency=event.source,
                at=at,
                root_cache=self.root_cache,
            )
        except EventRejected as exc:
            return _reject(exc.reason.value, exc.detail)
        except (SecurityError, SchemaError) as exc:
            return _reject("invalid_header", str(exc))
        if not agency.may_emit(event.type):
            return _reject("type_not_allowed", f"agency {event.source} may not emit {event.type}")
        return Verdict(event)


def is_replay(
    previous: str | None, origin: str, event_time: float, now: float, window_s: float
) -> bool:
    """Is an event with this replay key a replay, given what the replay table holds?

    ``previous`` is ``"<event time>|<origin>"`` of the first sighting. The same Kafka record
    read again (same origin: a redelivery after a crash) is not a replay; any other record
    with the same ``ce_source``/``ce_id`` within the window is. Older sightings are forgotten.
    """
    if previous is None:
        return False
    seen_time, _, seen_origin = previous.partition("|")
    if float(seen_time) < now - window_s:
        return False
    return seen_origin != origin
