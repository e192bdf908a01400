"""How a rejected message is kept: the original record plus reason headers.

Quarantine (``hub.quarantine``: refused by verification, routing or tracking) and
dead-letter (``hub.deadletter``: a connector could not deliver) both store the original
key, value and headers byte for byte, and add ``hub_reject_*`` headers saying why, so an
operator can list them and replay the original after a fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from schemas.message import Headers, KafkaMessage, format_time

REASON = "hub_reject_reason"
DETAIL = "hub_reject_detail"
STAGE = "hub_reject_stage"
ORIGIN = "hub_reject_origin"
"""Where the original was read: ``topic/partition/offset``."""
AT = "hub_reject_time"
REPLAYED_FROM = "hub_replayed_from"
"""Header added to a replayed message: ``topic/partition/offset`` of the rejected copy."""
_OURS = (REASON, DETAIL, STAGE, ORIGIN, AT)
_MAX_DETAIL = 2000


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a message was rejected; ``reason`` is a stable machine-readable code."""

    reason: str
    detail: str
    stage: str
    origin: str = ""
    time: str = ""


def reject(message: KafkaMessage, rejection: Rejection) -> KafkaMessage:
    """The record to write to quarantine or dead-letter for ``message``."""
    added: Headers = (
        (REASON, rejection.reason.encode()),
        (DETAIL, rejection.detail[:_MAX_DETAIL].encode("utf-8", errors="replace")),
        (STAGE, rejection.stage.encode()),
        (ORIGIN, rejection.origin.encode()),
        (AT, (rejection.time or format_time(datetime.now(UTC))).encode()),
    )
    kept = tuple(h for h in message.headers if h[0] not in _OURS)
    return KafkaMessage(message.key, message.value, kept + added)


def split_rejected(record: KafkaMessage) -> tuple[KafkaMessage, Rejection]:
    """The original message and the rejection from a quarantine/dead-letter record."""
    ours = {
        name: value.decode("utf-8", errors="replace")
        for name, value in record.headers
        if name in _OURS
    }
    original = KafkaMessage(
        record.key, record.value, tuple(h for h in record.headers if h[0] not in _OURS)
    )
    rejection = Rejection(
        reason=ours.get(REASON, "unknown"),
        detail=ours.get(DETAIL, ""),
        stage=ours.get(STAGE, ""),
        origin=ours.get(ORIGIN, ""),
        time=ours.get(AT, ""),
    )
    return original, rejection


def same_original(rejected: KafkaMessage, replayed: KafkaMessage) -> bool:
    """Is ``replayed`` the original kept in the ``rejected`` record (replay markers aside)?"""
    original, _ = split_rejected(rejected)

    def bare(message: KafkaMessage) -> KafkaMessage:
        kept = tuple(h for h in message.headers if h[0] != REPLAYED_FROM)
        return KafkaMessage(message.key, message.value, kept)

    return bare(original) == bare(replayed)
